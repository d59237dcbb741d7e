"""Which sentences say money came in (回款), and how much: by the family of words, not one
phrase; a sentence that names goods stays a purchase."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.understanding.payments import payment_amount, reads_like_payment
from bot.understanding.sales import reads_like_purchase


@pytest.mark.parametrize(("sentence", "amount", "currency"), [
    ("王总回款 10 万", "100000", "CNY"), ("王小明回款100000", "100000", "CNY"),
    ("收到王小明货款 22 万", "220000", "CNY"), ("收到李娜的尾款5万元", "50000", "CNY"),
    ("Acme 的 3 万到账了", "30000", "CNY"), ("王总打款 8000 元", "8000", "CNY"),
    ("王总已付 2.5万", "25000", "CNY"), ("陈总结清了 12,000", "12000", "CNY"),
    ("Acme paid $4,800", "4800", "USD"), ("received ¥20,000 from 王小明", "20000", "CNY"),
    ("John Smith wired 5k today", "5000", "CNY"),
    ("payment of $1,200 from Acme came in", "1200", "USD"),
])
def test_money_in_is_a_payment_with_its_amount(sentence: str, amount: str, currency: str
                                               ) -> None:
    assert reads_like_payment(sentence), sentence
    found = payment_amount(sentence, "CNY")
    assert found is not None and (found.amount, found.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize("sentence", [
    "Acme paid $4,800 for 20 X1",  # goods named: a purchase
    "王总付款 4.8 万买了 20 台 X1", "王小明 下单 5 套 Y2，共 5 万", "Acme bought 3 licences",
    "called 王小明, he will pay next week",  # no amount: a log
    "王总说下周回款",  # no amount
    "received the contract from Acme",  # no number
])
def test_goods_or_no_money_is_no_payment(sentence: str) -> None:
    assert not reads_like_payment(sentence)


def test_a_purchase_paid_for_stays_a_purchase() -> None:
    assert reads_like_purchase("Acme paid $4,800 for 20 X1")
    assert not reads_like_payment("Acme paid $4,800 for 20 X1")

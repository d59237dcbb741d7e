"""Which sentences say money came in (回款), and how much: by the family of words, not one
phrase; a sentence that names goods stays a purchase."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.understanding.amounts import Money
from bot.understanding.payments import payment_amount, reads_like_payment
from bot.understanding.plans import purchase_with_plan, understand_plan
from bot.understanding.sales import reads_like_purchase
from storage.errors import ValidationFailed
from storage.sales.plans import monthly


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


NOW = datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(("sentence", "total", "plan"), [
    # the purchase's own total, read before the plan (it was the last part's 10万)
    ("王小明 买了 3 台 X1，共 30 万，分三期：12月15日 10万，1月15日 10万，2月15日 10万", "300000",
     [("2026-12-15", "100000"), ("2027-01-15", "100000"), ("2027-02-15", "100000")]),
    ("Acme bought 20 X1 for $9,000, 30% upfront, rest in 60 days", "9000",
     [("2026-12-06", "2700"), ("2027-02-04", "6300")]),
    # no comma between the parts; "within N days"
    ("王总订了 5 套 Y2 一共10万 首付30% 余款60天内付清", "100000",
     [("2026-12-06", "30000"), ("2027-02-04", "70000")]),
    ("Acme bought 2 seats for $1,000, installments: $500 on Dec 20, $500 on Jan 20", "1000",
     [("2026-12-20", "500"), ("2027-01-20", "500")]),
    ("王总订了 5 套 Y2 共 10 万", "100000", []),  # no plan
])
def test_a_plan_said_with_a_purchase(sentence: str, total: str, plan: list[tuple[str, str]]
                                     ) -> None:
    words, found = purchase_with_plan(sentence, "CNY", NOW, default_hour=9)
    assert words.amount is not None and words.amount.amount == Decimal(total)
    assert [(p.due_on.isoformat(), p.amount.amount) for p in found] == [
        (day, Decimal(amount)) for day, amount in plan]


@pytest.mark.parametrize("sentence", ["张经理的尾款0.8万收到了", "王总的定金到了2万",
                                      "刘总那边货款 3 万已收"])
def test_the_money_named_before_its_receipt_is_a_payment(sentence: str) -> None:
    assert reads_like_payment(sentence)


@pytest.mark.parametrize(("answer", "plan"), [
    # typed as the answer to "how will it be paid?": no marker needed
    ("12月15日 10万，1月15日 20万", [("2026-12-15", "100000"), ("2027-01-15", "200000")]),
    ("30% now, rest in 60 days", [("2026-12-06", "90000"), ("2027-02-04", "210000")]),
    ("下周一 15万；余款 1月31日", [("2026-12-07", "150000"), ("2027-01-31", "150000")]),
])
def test_a_plan_typed_alone(answer: str, plan: list[tuple[str, str]]) -> None:
    found = understand_plan(answer, Money(Decimal(300000), "CNY"), NOW, default_hour=9,
                            alone=True)
    assert [(p.due_on.isoformat(), p.amount.amount) for p in found] == [
        (day, Decimal(amount)) for day, amount in plan]


@pytest.mark.parametrize(("total", "count", "first", "parts"), [
    (480_000, 3, "2026-11-20", [("2026-11-20", 160_000), ("2026-12-20", 160_000),
                                ("2027-01-20", 160_000)]),
    # the month's last day when the first one's does not exist; the cents on the last part
    (100_001, 2, "2027-01-31", [("2027-01-31", 50_000), ("2027-02-28", 50_001)]),
    (1_000, 3, "2026-12-31", [("2026-12-31", 333), ("2027-01-31", 333), ("2027-02-28", 334)]),
])
def test_equal_monthly_parts(total: int, count: int, first: str,
                             parts: list[tuple[str, int]]) -> None:
    assert [(d.isoformat(), m) for d, m in monthly(total, count, date.fromisoformat(first))] \
        == parts
    assert sum(m for _, m in monthly(total, count, date.fromisoformat(first))) == total


def test_monthly_parts_refused_when_too_many_or_too_small() -> None:
    with pytest.raises(ValidationFailed):
        monthly(1_000, 61, date(2026, 12, 1))
    with pytest.raises(ValidationFailed):
        monthly(5, 6, date(2026, 12, 1))

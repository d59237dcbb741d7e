"""Money as people write it, and what a purchase sentence says was bought."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.understanding.amounts import AmountError, Money, chinese_number, format_money, parse_amount
from bot.understanding.sales import reads_like_purchase, understand_purchase
from storage.sales.purchases import next_stage

AMOUNTS = [
    # Chinese
    ("4.8万", "48000", "CNY"),
    ("4.8 万", "48000", "CNY"),
    ("四万八", "48000", "CNY"),
    ("四万八千", "48000", "CNY"),
    ("1.2亿", "120000000", "CNY"),
    ("一亿二", "120000000", "CNY"),
    ("一亿三千万", "130000000", "CNY"),
    ("￥3000元", "3000", "CNY"),
    ("¥3,000", "3000", "CNY"),
    ("3000元", "3000", "CNY"),
    ("3000块", "3000", "CNY"),
    ("5000块钱", "5000", "CNY"),
    ("三千五", "3500", "CNY"),
    ("三千五百", "3500", "CNY"),
    ("两万五千", "25000", "CNY"),
    ("一万零五百", "10500", "CNY"),
    ("一千零五", "1005", "CNY"),
    ("十五", "15", "CNY"),
    ("二十万", "200000", "CNY"),
    ("三百万", "3000000", "CNY"),
    ("4万8", "48000", "CNY"),
    ("3千", "3000", "CNY"),
    ("3w", "30000", "CNY"),
    ("壹万贰仟", "12000", "CNY"),
    ("人民币 8000", "8000", "CNY"),
    ("RMB 8,000", "8000", "CNY"),
    ("8000人民币", "8000", "CNY"),
    ("500美元", "500", "USD"),
    ("500美金", "500", "USD"),
    ("300欧元", "300", "EUR"),
    ("800港币", "800", "HKD"),
    ("12,000 元", "12000", "CNY"),
    # English
    ("$4,800", "4800", "USD"),
    ("$4.8k", "4800", "USD"),
    ("4.8k", "4800", "CNY"),
    ("USD 1,250.50", "1250.50", "USD"),
    ("1250.50 usd", "1250.50", "USD"),
    ("300 euros", "300", "EUR"),
    ("€300", "300", "EUR"),
    ("£99.99", "99.99", "GBP"),
    ("HK$800", "800", "HKD"),
    ("US$2m", "2000000", "USD"),
    ("2.5 million", "2500000", "CNY"),
    ("1.5 billion dollars", "1500000000", "USD"),
    ("120 dollars", "120", "USD"),
    ("-500元", "-500", "CNY"),
    ("负五百元", "-500", "CNY"),
    ("0", "0", "CNY"),
]


@pytest.mark.parametrize(("text", "amount", "currency"), AMOUNTS)
def test_amounts_people_write(text: str, amount: str, currency: str) -> None:
    money = parse_amount(text, "CNY")
    assert money == Money(money.amount, currency)
    assert money.amount == Decimal(amount)


@pytest.mark.parametrize("text", ["", "a lot", "三四个", "5 or 6", "千", "X1"])
def test_not_one_amount(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text, "CNY")


def test_minor_units_and_formatting() -> None:
    assert Money(Decimal("48000.0"), "CNY").minor == 4_800_000
    assert Money(Decimal("0.005"), "USD").minor == 1  # half a cent rounds up
    assert Money(Decimal(1200), "JPY").minor == 1200
    assert Money.from_minor(480_050, "USD") == Money(Decimal("4800.50"), "USD")
    assert format_money(Money(Decimal(48000), "CNY")) == "¥48,000"
    assert format_money(Money(Decimal("4800.5"), "USD")) == "$4,800.50"
    assert format_money(Money(Decimal(1), "CHF")) == "CHF 1"
    assert chinese_number("九千九百九十九万") == 99_990_000


PURCHASES = [
    ("王总 买了 20 台 X1，共 4.8 万", "48000", "CNY", 20, "X1"),
    ("李雷下单 3 套，12,000 元", "12000", "CNY", 3, None),
    ("Acme bought 20 X1 for $4,800", "4800", "USD", 20, "X1"),
    ("王总买了X1 两台 共八千", "8000", "CNY", 2, "X1"),
    ("李雷 订了 100箱 A4纸 3500元", "3500", "CNY", 100, "A4纸"),
    ("Acme purchased the Pro plan for 1200 USD", "1200", "USD", None, "Pro plan"),
    ("王总 签单 30万", "300000", "CNY", None, None),
    ("bought 5 licenses at $99 each", "495", "USD", 5, None),
    ("王总 买了 X1 10台 单价 4800", "48000", "CNY", 10, "X1"),
    ("李总采购了 50 套软件，每套 300 元", "15000", "CNY", 50, "软件"),
    ("王总买了三台打印机，一共四万八", "48000", "CNY", 3, "打印机"),
    ("Acme ordered 3 Widgets for €900", "900", "EUR", 3, "Widgets"),
    ("王总买了一台X1 5月3日 付了 2000元", "2000", "CNY", 1, "X1"),
    ("张三 下周五下午3点 付款 5万", "50000", "CNY", None, None),
]


@pytest.mark.parametrize(("text", "amount", "currency", "quantity", "product"), PURCHASES)
def test_what_a_purchase_sentence_says(text: str, amount: str, currency: str,
                                       quantity: int | None, product: str | None) -> None:
    assert reads_like_purchase(text)
    words = understand_purchase(text, "CNY")
    assert words.amount == Money(Decimal(amount), currency)
    assert (words.quantity, words.product) == (quantity, product)


@pytest.mark.parametrize("text", ["王总说下周可能买", "called 王总 about X1", "买了吗？",
                                  "下单流程问了 3 次"])
def test_sentences_that_are_not_purchases(text: str) -> None:
    assert not reads_like_purchase(text) or understand_purchase(text, "CNY").amount is None


def test_the_stage_a_purchase_moves_to() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    half_year = timedelta(days=180)
    assert next_stage("lead", None, now, half_year) == "customer"
    assert next_stage("prospect", None, now, half_year) == "customer"
    assert next_stage("churned", now - timedelta(days=900), now, half_year) == "customer"
    assert next_stage("customer", now - timedelta(days=30), now, half_year) == "loyal"
    assert next_stage("customer", now - timedelta(days=400), now, half_year) == "customer"
    assert next_stage("customer", None, now, half_year) == "customer"
    assert next_stage("loyal", now - timedelta(days=400), now, half_year) == "loyal"


DEALS = [
    ("王总的 X1 项目 预计 30 万 下月底签", "王总", "X1 项目", "300000", "CNY", "2026-12-31"),
    ("Acme X1 deal worth $30k closing December 15", "Acme", "X1 deal", "30000", "USD",
     "2026-12-15"),
    ("李雷 新商机 ERP 升级 预计 12万 年底签约", "李雷", "新商机 ERP 升级", "120000", "CNY",
     "2026-12-31"),
    ("王总 X1 项目 预计 30 万 下周五签", "王总", "X1 项目", "300000", "CNY", "2026-11-27"),
]


@pytest.mark.parametrize(("text", "customer", "title", "value", "currency", "close"), DEALS)
def test_what_a_deal_sentence_says(text: str, customer: str, title: str, value: str,
                                   currency: str, close: str) -> None:
    from zoneinfo import ZoneInfo

    from bot.understanding.sales import reads_like_deal, understand_deal

    now = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert reads_like_deal(text)
    words = understand_deal(text, default_currency="CNY", now=now, default_hour=9,
                            customer_name=customer)
    assert (words.title, words.value, str(words.close_on)) == (
        title, Money(Decimal(value), currency), close)

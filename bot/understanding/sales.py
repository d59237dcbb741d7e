"""Purchases and deals in one sentence: what was bought, how many, for how much; a deal's
title, value and expected close."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.understanding.amounts import DIGITS, Money, Number, numbers_in
from bot.understanding.dates import chinese_numerals_to_digits, find_when

_PURCHASE_WORDS = re.compile(
    r"买了|购买|购入|采购|下单|下了单|订了|订购|签单|成交|付款|付了|"
    r"\b(?:bought|buys|purchased?|ordered|paid)\b", re.I)
MEASURE_WORDS = "台套个件箱份部辆只批张瓶盒吨本支把条袋包桶卷副组"
_MEASURE_AFTER = re.compile(
    rf"^\s?(?:[{MEASURE_WORDS}]|(?:units?|pcs|pieces?|sets?|boxes|box|licen[cs]es?|seats?)\b)",
    re.I)
_NOT_AN_AMOUNT_AFTER = re.compile(r"^\s?(?:[月日号点時时分秒周天年岁%％]|个月|小时|days?\b|"
                                  r"weeks?\b|months?\b|years?\b|pm\b|am\b|点半)", re.I)
_AMOUNT_BEFORE = re.compile(r"(?:共|总共|一共|合计|总价|金额|价值|花了|付了|"
                            r"\bfor|\btotal(?:ling)?|\bworth|\bpaid)\s*[:：]?\s*$", re.I)
_UNIT_PRICE_BEFORE = re.compile(r"(?:单价|每[台套个件箱份]|\bat)\s*[:：]?\s*$", re.I)
_UNIT_PRICE_AFTER = re.compile(r"^\s?(?:each|apiece|per\b|/[^\s\d]|一[台套个件箱份])", re.I)
# A product's name in letters is ASCII, with at most a few Han characters after it (A4纸);
# \w took "T300一共1.2万" whole. After a measure word, "of" may come first ("20 units of
# CRM-Pro").
_PRODUCT = re.compile(r"^\s?(?:of\s+)?([A-Za-z][A-Za-z0-9\-+.]{0,30}[\u4e00-\u9fff]{0,4}?"
                      r"|[\u4e00-\u9fff]{1,12}?)"
                      r"(?=$|[\s,，。;；\d]|共|一共|总|合计|单价|for\b|at\b)", re.I)
_NOT_A_PRODUCT = re.compile(rf"^(?:共|一共|总|合计|单价|for|at|and|in|on|each|[{''.join(DIGITS)}])",
                            re.I)
_AFTER_VERB = re.compile(
    r"(?:买了|购买了?|购入|采购了?|订了|订购了?|bought|purchased?|ordered)\s*"
    r"(?:an?\s+|the\s+)?([A-Za-z][A-Za-z0-9\-+.]{0,30}(?:\s[A-Za-z][A-Za-z0-9\-+.]{0,20})?)"
    r"(?=\s|,|，|$|[\u4e00-\u9fff])", re.I)


@dataclass(frozen=True)
class PurchaseWords:
    """What one sentence says was bought: shown on the card, changed there if wrong."""

    amount: Money | None
    quantity: int | None
    product: str | None


def reads_like_purchase(text: str) -> bool:
    return bool(_PURCHASE_WORDS.search(text)) and bool(numbers_in(text))


def understand_purchase(text: str, default_currency: str) -> PurchaseWords:
    """"王总 买了 20 台 X1，共 4.8 万" -> 20 × X1, ¥48,000.

    A number followed by a measure word (台, 套, units) is the quantity, and the word
    after it (or else the word right after the verb) the product. The amount is the
    number marked with a currency, else the one scaled like money (4.8万, 5k), else the
    one after 共/for/total; "at $99", 单价 or "each" make it a unit price, multiplied by
    the quantity. Numbers that are dates or times (3点, 5月) are neither."""
    numbers = [n for n in numbers_in(text) if not not_an_amount(text, n)]
    quantity: int | None = None
    product: str | None = None
    for number in numbers:
        if number.currency or number.scaled or number.value != int(number.value) \
                or number.value <= 0:
            continue
        rest = text[number.end:]
        unit = _MEASURE_AFTER.match(rest)
        word = re.match(r"^\s?(?:x\s?)?([A-Za-z][A-Za-z0-9\-+.]{0,30}(?:[\u4e00-\u9fff]{1,4}?"
                        r"(?=$|[\s,，。;；\d]|共|一共|总|合计|单价))?)", rest, re.I)
        if unit is not None:
            found = _PRODUCT.match(rest[unit.end():])
            product = found.group(1) if found else None
        elif word is not None and not _NOT_A_PRODUCT.match(word.group(1)):
            product = word.group(1)
        else:
            continue
        quantity = int(number.value)
        numbers.remove(number)
        break
    if product is not None and _NOT_A_PRODUCT.match(product):
        product = None
    if product is None:
        found = _AFTER_VERB.search(text)
        product = found.group(1) if found else None
    return PurchaseWords(amount_in(text, numbers, quantity, default_currency), quantity,
                         product)


def not_an_amount(text: str, number: Number) -> bool:
    """A date, a time, a count of days or an ordinal (3点, 5月, 第2, 12/8), not money."""
    return bool(_NOT_AN_AMOUNT_AFTER.match(text[number.end:])
                or text[number.start - 1:number.start] in ("第", "/", ":", "："))


def amount_in(text: str, numbers: list[Number], quantity: int | None,
              default_currency: str) -> Money | None:
    """The money among `numbers`: marked with a currency, else scaled like money (4.8万,
    5k), else after 共/for/total; a unit price (at $99, 单价, each) times `quantity`."""
    for choose in (lambda n: n.currency is not None, lambda n: n.scaled,
                   lambda n: _AMOUNT_BEFORE.search(text[:n.start]) is not None
                   or _UNIT_PRICE_BEFORE.search(text[:n.start]) is not None):
        chosen = [n for n in numbers if choose(n)]
        if chosen:
            number = chosen[-1]
            value = number.value
            if quantity and (_UNIT_PRICE_BEFORE.search(text[:number.start])
                             or _UNIT_PRICE_AFTER.match(text[number.end:])):
                value *= quantity
            return Money(value, number.currency or default_currency)
    return None


_DEAL_WORDS = re.compile(r"项目|商机|单子|\b(?:deal|opportunity|project)\b", re.I)
_DEAL_HINTS = re.compile(r"预计|预期|估计|有望|签|\b(?:expected?|worth|closing|close|forecast)\b",
                         re.I)
_DEAL_FILLER = re.compile(
    r"预计|预期|估计|有望|签约|签单|签|成交|价值|金额|左右|大概|约|的|"
    r"\b(?:expected?|expecting|worth|closing|closes|close|to|by|for|around|about|of|is)\b|'s",
    re.I)


@dataclass(frozen=True)
class DealWords:
    title: str
    value: Money | None
    close_on: date | None


def reads_like_deal(text: str) -> bool:
    return bool(_DEAL_WORDS.search(text)) and bool(_DEAL_HINTS.search(text))


def understand_deal(text: str, *, default_currency: str, now: datetime, default_hour: int,
                    customer_name: str | None, day_first: bool | None = False) -> DealWords:
    """"王总的 X1 项目 预计 30 万 下月底签" -> "X1 项目", ¥300,000, closing 2026-12-31.

    The value is read as a purchase's amount is; the close date is the first future date;
    the title is what is left once the customer's name, the value, the date and the
    filler words (预计, 的, expected, worth…) are taken out."""
    rest = text
    found = find_when(text, now, default_hour=default_hour, day_first=day_first)
    close_on = found.at.date() if found is not None and found.at > now else None
    if found is not None and found.text:
        if found.text not in rest:  # found in the digits form: 下周五 was read as 下周5
            rest = chinese_numerals_to_digits(rest)
        rest = rest.replace(found.text, " ", 1)
    numbers = [n for n in numbers_in(rest) if not _NOT_AN_AMOUNT_AFTER.match(rest[n.end:])]
    value = amount_in(rest, numbers, None, default_currency)
    if value is None and numbers:
        value = Money(numbers[-1].value, numbers[-1].currency or default_currency)
    for number in sorted(numbers, key=lambda n: n.start, reverse=True):
        if value is not None and number.value == value.amount:
            rest = rest[:number.start] + " " + rest[number.end:]
    if customer_name:
        rest = rest.replace(customer_name, " ")
    rest = _DEAL_FILLER.sub(" ", rest)
    title = " ".join(re.sub(r"[,，。;；:：!！?？]", " ", rest).split())[:100]
    return DealWords(title, value, close_on)

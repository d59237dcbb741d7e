"""Money and quantities as people write them: 4.8万, ￥3000元, $4.8k, 四万八, 1.2亿, 20 台.

No library reads Chinese amounts (cn2an reads numerals but not 4.8万 next to a currency
in a sentence, nor "$4.8k"), so this is ours: a number is Arabic digits (with thousands
commas) or Chinese numerals, optionally scaled (十百千万亿, k/w/m) and marked with a
currency before or after. Which number of a sentence is the amount is decided by its
marks; see `find_amount`. Amounts are Decimal here and whole minor units (fen, cents)
in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3,
          "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
          "捌": 8, "九": 9, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
LATIN_SCALES = {"k": 1000, "w": 10_000, "m": 1_000_000, "mn": 1_000_000,
                "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
                "bn": 1_000_000_000}

# Longest first within each side, as the patterns try them in order.
CURRENCY_BEFORE = {"hk$": "HKD", "us$": "USD", "rmb": "CNY", "cny": "CNY", "usd": "USD",
                   "eur": "EUR", "hkd": "HKD", "gbp": "GBP", "jpy": "JPY", "$": "USD",
                   "¥": "CNY", "￥": "CNY", "€": "EUR", "£": "GBP"}
CURRENCY_AFTER = {"人民币": "CNY", "块钱": "CNY", "美元": "USD", "美金": "USD", "欧元": "EUR",
                  "港币": "HKD", "港元": "HKD", "英镑": "GBP", "日元": "JPY", "元": "CNY",
                  "块": "CNY", "rmb": "CNY", "cny": "CNY", "usd": "USD", "eur": "EUR",
                  "hkd": "HKD", "gbp": "GBP", "jpy": "JPY", "dollars": "USD",
                  "dollar": "USD", "euros": "EUR", "euro": "EUR", "yuan": "CNY"}
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "GBP": "£", "JPY": "JP¥"}
# Currencies without minor units.
WHOLE = frozenset({"JPY"})

_MONEY_SCALES = frozenset("千仟万萬亿億")  # 二十 and 三百 count things as often as money
_CN = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"


def _alternatives(words: dict[str, str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = re.compile(
    rf"(?P<sign>[-−负])?\s*"
    rf"(?P<before>{_alternatives(CURRENCY_BEFORE)})?\s*"
    rf"(?P<value>(?:{_ARABIC})(?:\s?[千仟万萬亿億])?[{_CN}\d.]*|[{_CN}]+)"
    rf"(?:\s*(?P<latin>{'|'.join(sorted(LATIN_SCALES, key=len, reverse=True))})(?![a-z]))?"
    rf"(?:\s*(?P<after>{_alternatives(CURRENCY_AFTER)})(?![a-z]))?",
    re.IGNORECASE)


class AmountError(ValueError):
    """Not a number this parser can read."""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @property
    def minor(self) -> int:
        """Whole fen/cents, as stored."""
        scale = 1 if self.currency in WHOLE else 100
        return int((self.amount * scale).to_integral_value(ROUND_HALF_UP))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        scale = 1 if currency in WHOLE else 100
        return cls(Decimal(minor) / scale, currency)


@dataclass(frozen=True)
class Number:
    """One number of a sentence with what marks it."""

    value: Decimal
    start: int
    end: int
    currency: str | None  # written next to it
    scaled: bool  # 万, k, 千 ... : people write those for money, rarely for counts
    text: str


def format_money(money: Money) -> str:
    """¥48,000 · $4,800.50 · HK$1,200"""
    symbol = SYMBOLS.get(money.currency, money.currency + " ")
    places = 0 if money.currency in WHOLE or money.amount == money.amount.to_integral_value() \
        else 2
    sign = "-" if money.amount < 0 else ""
    return f"{sign}{symbol}{abs(money.amount):,.{places}f}"


def chinese_number(text: str) -> Decimal:
    """四万八 -> 48000, 一万零五百 -> 10500, 十五 -> 15, 4万8 -> 48000, 1.2亿 -> 1.2e8.

    An Arabic number may stand where a Chinese digit does. A digit left at the end right
    after a unit is that unit's next place down, as people say it: 四万八 is 48,000,
    三千五 is 3,500."""
    total = Decimal(0)  # what is above 亿 and 万 so far
    section = Decimal(0)  # below the current 万
    number: Decimal | None = None
    last_unit = 1
    zero = False
    for token in re.findall(rf"{_ARABIC}|[{_CN}]", text):
        if token in DIGITS:
            if DIGITS[token] == 0:
                zero = True
                continue
            if number is not None:  # 三四个: "three or four", not a number
                raise AmountError(text)
            number = Decimal(DIGITS[token])
        elif token in SMALL_UNITS:
            unit = SMALL_UNITS[token]
            section += (number if number is not None else Decimal(1)) * unit
            number, last_unit, zero = None, unit, False
        elif token in BIG_UNITS:
            unit = BIG_UNITS[token]
            value = section + (number or 0)
            if unit == 100_000_000:
                total = (total + value) * unit
                section = Decimal(0)
            else:
                section = value * unit
            number, last_unit, zero = None, unit, False
        else:
            if number is not None:
                raise AmountError(text)
            try:
                number = Decimal(token.replace(",", ""))
            except InvalidOperation as exc:
                raise AmountError(text) from exc
    if number is not None:
        elliptical = last_unit > 1 and not zero and number < 10 and number == int(number)
        section += number * (Decimal(last_unit) / 10 if elliptical else 1)
    return total + section


def numbers_in(text: str) -> list[Number]:
    """Every number of a sentence, left to right. Digits inside a word (X1, 5G, A4) are
    part of that word, not numbers."""
    found: list[Number] = []
    for match in _NUMBER.finditer(text):
        start = min(match.start(g) for g in ("sign", "before", "value") if match.group(g))
        before_char = text[start - 1:start]
        after_char = text[match.end():match.end() + 1]
        value_text = match.group("value")
        if value_text.strip(".") == "" or (before_char.isascii() and before_char.isalnum()) or (
                not match.group("latin") and not match.group("after")
                and after_char.isascii() and after_char.isalpha()):
            continue
        if all(ch in SMALL_UNITS or ch in BIG_UNITS for ch in value_text):
            continue  # 千 or 万 alone is a word, not a number
        try:
            value = chinese_number(value_text)
        except AmountError:
            continue
        latin = (match.group("latin") or "").lower()
        if latin:
            value *= LATIN_SCALES[latin]
        if match.group("sign"):
            value = -value
        currency_word = (match.group("before") or match.group("after") or "").lower()
        currency = CURRENCY_BEFORE.get(currency_word) or CURRENCY_AFTER.get(currency_word)
        scaled = bool(latin) or any(ch in _MONEY_SCALES for ch in value_text)
        found.append(Number(value, start, match.end(), currency, scaled,
                            text[start:match.end()]))
    return found


def parse_amount(text: str, default_currency: str) -> Money:
    """An answer to "how much?": the one number in it, in the currency written or the
    team's. Raises AmountError when there is no number or more than one."""
    numbers = numbers_in(text.strip())
    if len(numbers) != 1:
        raise AmountError(text)
    number = numbers[0]
    return Money(number.value, number.currency or default_currency)

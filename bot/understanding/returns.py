"""Goods sent back, in one sentence: "王小明退货 5 台 X1", "Acme returned 5 units, refunded
$1,200", "退款 2 万给刘总".

A return sentence says goods came back or money went back (退货, 退回, 退款, 退了,
returned, refunded, sent … back) and holds a number (how many, or how much); a sentence
that asks for a return ("要退货", "wants to return") is a service request of kind return
(bot/understanding/requests.py), not a return done. What was sent back, how many and for
how much are read as a purchase's are (bot/understanding/sales.py).
"""

from __future__ import annotations

import re

from bot.understanding.amounts import numbers_in
from bot.understanding.sales import PurchaseWords, understand_purchase

_RETURNED = re.compile(
    r"退货|退回|退款|退还|退掉|已退|退了|把.{0,10}?退(?:了|掉|回)|"
    r"\b(?:returned|refunded|refund(?:ed)? of)\b|\b(?:sent|gave|took|brought)\b.{0,24}?\bback\b",
    re.I)
_ASKING = re.compile(
    r"要|想|申请|要求|需要|打算|准备|希望|"
    r"\b(?:wants?|would like|asks?|asked|asking|requests?|requested|plans? to|going to)\b",
    re.I)


def reads_like_return(text: str) -> bool:
    """Goods or money went back, with a number, and nobody is only asking for it."""
    return bool(_RETURNED.search(text)) and bool(numbers_in(text)) \
        and not _ASKING.search(text)


def understand_return(text: str, default_currency: str) -> PurchaseWords:
    return understand_purchase(text, default_currency)

"""Money a customer paid (回款), in one sentence: "王总回款 10 万", "收到 Acme 货款 5 万",
"Acme paid $4,800", "received ¥20,000 from 王小明".

A payment sentence says money came in (回款, 收款, 到账, 收到…款, paid, payment received…)
and names no goods: "Acme paid $4,800 for 20 X1" is a purchase (bot/understanding/
sales.py), and so is anything with 买/bought/ordered. The amount is read as a purchase's
is: the number marked with a currency, else the one scaled like money (10万, 5k), else
the one after 共/total/of.
"""

from __future__ import annotations

import re

from bot.understanding.amounts import Money, numbers_in
from bot.understanding.sales import amount_in, not_an_amount, understand_purchase

# Money named as a payment (货款, 尾款…) with a word of receiving, in either order
# ("收到王总货款", "王总的尾款收到了"), or a word that is a payment by itself (回款, 到账).
_MONEY_NOUN = r"(?:货款|尾款|余款|首付款|预付款|定金|订金|欠款|款项|账款|钱)"
_RECEIVED = r"(?:收到|已收|收了|到了|到手)"
_PAYMENT_WORDS = re.compile(
    rf"回款|收款|回了?.{{0,3}}款|到账|到帐|{_RECEIVED}.{{0,12}}?(?:款|钱)|"
    rf"{_MONEY_NOUN}.{{0,12}}?{_RECEIVED}|打款|汇款|转账|结清|结款|付清|"
    r"付了?.{0,4}款|已付|支付了|"
    r"\b(?:paid|pays|payment|remitted|wired|transferred|settled)\b|\breceived\b", re.I)
_BUYING_WORDS = re.compile(r"买|购|订|下单|签单|\b(?:bought|buys|purchased?|ordered|order)\b",
                           re.I)


def reads_like_payment(text: str) -> bool:
    """Money came in and nothing was bought: a payment, not a purchase."""
    if not (_PAYMENT_WORDS.search(text) and numbers_in(text)):
        return False
    if _BUYING_WORDS.search(text):
        return False
    words = understand_purchase(text, "CNY")
    return words.quantity is None


def payment_amount(text: str, default_currency: str) -> Money | None:
    numbers = [n for n in numbers_in(text) if not not_an_amount(text, n)]
    found = amount_in(text, numbers, None, default_currency)
    if found is None and len(numbers) == 1:  # "王总回款100000": the only number there is
        only = numbers[0]
        found = Money(only.value, only.currency or default_currency)
    return found

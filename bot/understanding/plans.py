"""A payment plan said with a purchase, in the same sentence:
"共 30 万，分三期：12月15日 10万，1月15日 10万，2月15日 10万",
"$9,000, 30% upfront, rest in 60 days", "首付 30%，余款 60 天内付清".

The plan begins at its marker (分N期, 分期, 首付/预付/定金, installments, upfront, a
percentage); what comes before it is the purchase (so "共 30 万" is the amount, not the
last installment's 10万). After the marker, each part between commas is one installment:
a date (read as any date is, bot/understanding/dates.py; upfront/首付 is the day of the
purchase) and an amount, or a share of the total (30%); "rest"/余款/尾款 is what the
others leave. The plan is shown on the card with a warning when it does not add up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.understanding.amounts import Money, numbers_in
from bot.understanding.dates import find_when
from bot.understanding.sales import PurchaseWords, understand_purchase

_MARKER = re.compile(
    r"分\s*[一二两三四五六七八九十\d]+\s*期|分期|首付|预付|定金|订金|"
    r"\b(?:installments?|instalments?|upfront|up front|down ?payment|deposit)\b|"
    r"\d+(?:\.\d+)?\s*%\s*(?:upfront|up front|首付|预付|on signing|now)", re.I)
_UPFRONT = re.compile(r"首付|预付|定金|订金|\b(?:upfront|up front|down ?payment|deposit|now|"
                      r"on signing|today)\b", re.I)
_REST = re.compile(r"余款|尾款|剩余|剩下|其余|\b(?:rest|remainder|balance|remaining)\b", re.I)
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_WITHIN = re.compile(r"(\d+)\s*[天日]\s*(?:内|之内|以内)|\bwithin\s+(\d+)\s+days?\b", re.I)
_NEXT_PART = re.compile(r"(?<=\S)\s*(?=余款|尾款|剩余|剩下|其余|\b(?:rest|remainder|balance)\b)",
                        re.I)
_PARTS = re.compile(r"[，,;；、：:]|\band\b|\bthen\b", re.I)


@dataclass(frozen=True)
class PlannedInstallment:
    due_on: date
    amount: Money


def plan_start(text: str) -> int | None:
    """Where the plan begins in `text` (None: no plan)."""
    found = _MARKER.search(text)
    return found.start() if found else None


def understand_plan(text: str, total: Money | None, now: datetime, *, default_hour: int,
                    day_first: bool | None = False, alone: bool = False
                    ) -> list[PlannedInstallment]:
    """The installments said after the plan's marker (or in all of `text` when it is
    `alone`, the answer to "how will it be paid?"); none when there is no plan or no part
    of it has both a day and an amount."""
    start = 0 if alone else plan_start(text)
    if start is None:
        return []
    currency = total.currency if total else "CNY"
    # Parts end at a comma, or where the next one begins (首付30% 余款60天内: no comma).
    said = _NEXT_PART.sub(lambda m: "，" + m.group(0), text[start:])
    parts = [p for p in _PARTS.split(said) if p.strip()]
    planned: list[tuple[date, Decimal | None]] = []
    for part in parts:
        share = _SHARE.search(part)
        amount: Decimal | None
        if share and total is not None:
            amount = (total.amount * Decimal(share.group(1)) / 100).quantize(Decimal("0.01"))
        else:
            numbers = [n for n in numbers_in(_without_dates(part, now, default_hour,
                                                            day_first))
                       if n.scaled or n.currency or n.value >= 100]
            amount = Decimal(numbers[-1].value) if numbers else None
        if _REST.search(part):
            amount = None  # what the others leave, once they are known
        found = find_when(part, now, default_hour=default_hour, day_first=day_first)
        within = _WITHIN.search(part)
        if within is not None:  # 60 天内 / within 60 days: that many days from now
            due = now.date() + timedelta(days=int(within.group(1) or within.group(2)))
        elif found is not None and found.at.date() >= now.date():
            due = found.at.date()
        elif _UPFRONT.search(part):
            due = now.date()
        else:
            continue
        if amount is None and not _REST.search(part):
            continue
        planned.append((due, amount))
    if not planned:
        return []
    known = sum((amount for _, amount in planned if amount is not None), Decimal(0))
    rest = (total.amount - known) if total is not None else None
    return [PlannedInstallment(due, Money(amount if amount is not None else rest or Decimal(0),
                                          currency))
            for due, amount in planned if amount is not None or (rest and rest > 0)]


def _without_dates(part: str, now: datetime, default_hour: int,
                   day_first: bool | None) -> str:
    """The part with its date words taken out, so 12月15日's 15 is not an amount."""
    found = find_when(part, now, default_hour=default_hour, day_first=day_first)
    return part.replace(found.text, " ") if found is not None and found.text else part


def purchase_with_plan(text: str, default_currency: str, now: datetime, *, default_hour: int,
                       day_first: bool | None = False
                       ) -> tuple[PurchaseWords, list[PlannedInstallment]]:
    """A purchase sentence and the plan said with it: the purchase read from the words
    before the plan's marker, the plan from those after."""
    start = plan_start(text)
    words = understand_purchase(text[:start] if start else text, default_currency)
    return words, understand_plan(text, words.amount, now, default_hour=default_hour,
                                  day_first=day_first)

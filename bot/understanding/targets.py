"""A manager's targets in one line: "/target 张三 12月 回款 50万 新客户 10",
"/target Bob Q1 revenue $200k deals won 5".

The member is named as the team knows them (display name or @username); the period is a
month (12月, 十二月, 2027-01, Dec, 本月, 下个月, next month) or a quarter (Q1, 一季度,
2027 Q1, 本季度, next quarter), this month when none is said. A month named alone is
the nearest one that has not ended. Then each metric word is followed (or preceded) by
its number: money for revenue and collected (50万, $200k; the team's currency when none
is written), a count for the rest (10, 十).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.understanding.amounts import Money, chinese_number, numbers_in
from storage.models import MONEY_METRICS, TargetMetric
from storage.targets import Goal, Period, month, month_of, quarter, quarter_of

METRIC_WORDS: dict[TargetMetric, str] = {
    TargetMetric.COLLECTED: r"回款|收款|到账|collect(?:ed|ions?)?|cash(?: in)?|payments?",
    TargetMetric.REVENUE: r"业绩|销售额|营收|成交额|签约额|revenue|sales|booked",
    TargetMetric.NEW_CUSTOMERS: r"新客户|新客|新增客户|new (?:customers?|clients?|accounts?)",
    TargetMetric.DEALS_WON: r"赢单|签单|成单|deals? won|won deals?|wins?",
    TargetMetric.CONTACTS: r"拜访|联系|跟进|通话|电话|contacts?|calls?|visits?|touches",
}
_METRICS = re.compile("|".join(f"(?P<{metric.value}>{words})"
                               for metric, words in METRIC_WORDS.items()), re.I)
MONTHS_EN = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CN_DIGITS = "零一二两三四五六七八九十"
_YEAR_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_YEAR_QUARTER = re.compile(r"(\d{4})\s*[-年]?\s*(?:Q([1-4])\b|第?([一二三四1-4])\s*季度)", re.I)
_QUARTER = re.compile(r"\bQ([1-4])\b|第?([一二三四1-4])\s*季度", re.I)
_MONTH = re.compile(rf"(\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*月(?:份)?")
_MONTH_EN = re.compile(r"\b(" + "|".join(MONTHS_EN) + r")[a-z]*\.?\b", re.I)
_RELATIVE = re.compile(r"(?:本|这个?|上个?|下个?)(?:月|季度)|(?:this|last|next) (?:month|quarter)",
                       re.I)
_COUNT = re.compile(rf"\d+|[{_CN_DIGITS}百]+")
_NEGATIVE = re.compile(r"(?:-|−|负)\s*$")  # refused when stored, never read as positive


@dataclass
class TargetWords:
    period: Period
    goals: list[Goal] = field(default_factory=list)
    said_period: bool = False
    unread: list[str] = field(default_factory=list)  # metric words without a number


def _nearest_month(number: int, today: date, past: bool) -> Period:
    if past:  # the latest that has begun
        return month(today.year if number <= today.month else today.year - 1, number)
    return month(today.year if number >= today.month else today.year + 1, number)


def _quarter_number(text: str) -> int:
    return int(text) if text.isdigit() else "一二三四".index(text) + 1


def find_period(text: str, today: date, *, past: bool = False
                ) -> tuple[Period, str] | None:
    """The period said in `text` and the words that said it; None when none is. A month
    or quarter named without its year is the nearest that has not ended, or with `past`
    (reading, not setting) the latest that has begun."""
    for pattern in (_YEAR_QUARTER, _YEAR_MONTH):
        found = pattern.search(text)
        if found is None:
            continue
        year = int(found.group(1))
        if pattern is _YEAR_QUARTER:
            return quarter(year, _quarter_number(found.group(2) or found.group(3))), \
                found.group(0)
        if 1 <= int(found.group(2)) <= 12:
            return month(year, int(found.group(2))), found.group(0)
    found = _RELATIVE.search(text)
    if found is not None:
        words = found.group(0).lower()
        of = quarter_of if "季度" in words or "quarter" in words else month_of
        this = of(today)
        if "下" in words or "next" in words:
            return of(this.end), found.group(0)
        if "上" in words or "last" in words:
            return of(this.start - timedelta(days=1)), found.group(0)
        return this, found.group(0)
    found = _QUARTER.search(text)
    if found is not None:
        number = _quarter_number(found.group(1) or found.group(2))
        period = quarter(today.year, number)
        if past:
            return (period if period.start <= today else quarter(today.year - 1, number)), \
                found.group(0)
        return (period if period.end > today else quarter(today.year + 1, number)), \
            found.group(0)
    found = _MONTH.search(text)
    if found is not None:
        said = found.group(1)
        number = int(said) if said.isdigit() else int(chinese_number(said))
        if 1 <= number <= 12:
            return _nearest_month(number, today, past), found.group(0)
    found = _MONTH_EN.search(text)
    if found is not None:
        return _nearest_month(MONTHS_EN.index(found.group(1).lower()[:3]) + 1, today,
                              past), found.group(0)
    return None


def understand_targets(text: str, today: date, currency: str) -> TargetWords:
    """The period and the goals said in `text` (the member's name already taken out)."""
    said = find_period(text, today)
    words = TargetWords(said[0] if said else month_of(today), said_period=said is not None)
    rest = text.replace(said[1], " ", 1) if said else text
    marks = list(_METRICS.finditer(rest))
    for n, mark in enumerate(marks):
        metric = TargetMetric(next(name for name, value in mark.groupdict().items() if value))
        after = rest[mark.end():marks[n + 1].start() if n + 1 < len(marks) else len(rest)]
        before = rest[marks[n - 1].end() if n else 0:mark.start()]
        goal = _goal(metric, after, currency) or _goal(metric, before, currency)
        if goal is None:
            words.unread.append(mark.group(0))
        elif all(g.metric is not metric for g in words.goals):
            words.goals.append(goal)
    return words


def _goal(metric: TargetMetric, part: str, currency: str) -> Goal | None:
    if metric in MONEY_METRICS:
        numbers = numbers_in(part)
        if not numbers:
            return None
        number = numbers[0]
        money = Money(number.value, number.currency or currency)
        return Goal(metric, -money.minor if _NEGATIVE.search(part[:number.start])
                    else money.minor, money.currency)
    found = _COUNT.search(part)
    if found is None:
        return None
    said = found.group(0)
    count = int(said) if said.isdigit() else int(chinese_number(said))
    return Goal(metric, -count if _NEGATIVE.search(part[:found.start()]) else count)

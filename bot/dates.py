"""Dates and times in people's words, Chinese or English, relative to the user's "now".

English goes to dateparser. Chinese gets a small grammar of its own first: dateparser 1.5
finds nothing in 明天下午3点, 下周二上午十点, 后天早上9点, 月底, 今晚8点 or 两周后
(measured; see docs/decisions.md), so those forms are read here and dateparser is only
asked about what is left. A date without a time takes the configured default hour.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?![百千万亿])")
_WEEKDAY = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6, "日": 6, "天": 6, "末": 5}
_WEEK = r"(?:周|星期|礼拜)"

# Hours a period word alone stands for, and whether "3" after it means 15:00.
_PERIODS = {
    "凌晨": (5, False), "早上": (9, False), "早晨": (9, False), "清早": (8, False),
    "上午": (10, False), "中午": (12, False), "午饭": (12, False), "下午": (15, True),
    "傍晚": (18, True), "晚上": (20, True), "夜里": (21, True), "晚": (20, True),
    "早": (9, False),
}
_PERIOD = "|".join(sorted(_PERIODS, key=len, reverse=True))
_CLOCK = re.compile(
    rf"(?P<period>{_PERIOD})?\s*(?:(?P<hour>\d{{1,2}})\s*(?:[点点時时]|[:：](?=\d))"
    r"\s*(?P<minute>半|一刻|三刻|1刻|3刻|\d{1,2})?\s*分?"
    rf"|(?P<alone>(?<![今明昨])(?:{_PERIOD})))"
)
_DAY_WORDS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明早": 1, "明晚": 1,
              "今天": 0, "今日": 0, "今早": 0, "今晚": 0, "昨天": -1, "昨日": -1, "昨晚": -1,
              "前天": -2}
_CN_DATE = re.compile(
    "|".join([
        r"(?P<word>大后天|后天|明天|明日|明早|明晚|今天|今日|今早|今晚|昨天|昨日|昨晚|前天)",
        rf"(?P<which>下下|下个?|这个?|本|上个?)?{_WEEK}(?P<weekday>[1-7日天末])",
        rf"(?P<nextweek>下下|下个?|上个?){_WEEK}(?![1-7日天末])",
        r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})[日号]?",
        r"(?P<monthword>下个?月|这个?月|本月)?(?P<mday>\d{1,2})[日号]",
        r"(?P<monthrel>下个?|这个?|本)?月(?P<edge>底|初|中)",
        r"(?P<nextmonth>下个?月)",
        r"(?P<yearend>年底)",
        r"(?P<count>\d{1,3}|半)\s*个?\s*(?P<unit>天|日|周|星期|礼拜|月|小时|钟头|分钟)"
        r"\s*(?P<way>后|以后|之后|前|以前|之前)",
    ])
)
_EN_TIME_WORDS = re.compile(
    r"\d\s*(?:am|pm|a\.m\.|p\.m\.|h\b|:\d\d)|\b(?:noon|midnight|morning|afternoon|evening|"
    r"tonight|o'clock)\b|\b(?:in|after)\s+\d+\s+(?:hours?|minutes?|mins?)\b",
    re.IGNORECASE,
)
# Phrases dateparser reads differently from what a salesperson means by them.
_EN_EXTRAS = [
    (re.compile(r"\bend of (?:the )?month\b", re.I), "eom"),
    (re.compile(r"\bend of (?:the )?week\b", re.I), "eow"),
    (re.compile(r"\bnext week\b", re.I), "nextweek"),
    (re.compile(r"\bnext month\b", re.I), "nextmonth"),
    (re.compile(r"\b(?:the )?day after tomorrow\b", re.I), "aftertomorrow"),
]
_EN_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*([ap])\.?m\b\.?|\b(\d{1,2}):(\d\d)\b", re.I)
_EN_NOISE = re.compile(r"^(?:on|at|in|by|the|a|an|to|and|up|call|me|us|him|her)$", re.I)


class Prefer(StrEnum):
    FUTURE = "future"
    PAST = "past"


@dataclass(frozen=True)
class When:
    at: datetime
    text: str
    has_time: bool


def chinese_numerals_to_digits(text: str) -> str:
    """十点半 -> 10点半, 两周后 -> 2周后, 二十三号 -> 23号; other characters stay."""

    def value(match: re.Match[str]) -> str:
        chars = match.group(0)
        if "十" not in chars:
            if len(chars) > 4:
                return chars
            return "".join(str(_CN_DIGITS[c]) for c in chars)
        tens_part, _, ones_part = chars.partition("十")
        if len(tens_part) > 1 or len(ones_part) > 1 or "十" in ones_part:
            return chars
        tens = _CN_DIGITS[tens_part] if tens_part else 1
        ones = _CN_DIGITS[ones_part] if ones_part else 0
        return str(tens * 10 + ones)

    return _CN_NUMBER.sub(value, text).replace("下1周", "下周").replace("下1个月", "下个月")


def _clock(match: re.Match[str] | None) -> tuple[int, int] | None:
    if match is None:
        return None
    if match.group("alone"):
        return _PERIODS[match.group("alone")][0], 0
    hour = int(match.group("hour"))
    minute_text = match.group("minute") or ""
    minute = {"半": 30, "一刻": 15, "1刻": 15, "三刻": 45, "3刻": 45}.get(minute_text)
    if minute is None:
        minute = int(minute_text) if minute_text else 0
    period = match.group("period")
    if period:
        afternoon = _PERIODS[period][1]
        if afternoon and hour < 12:
            hour += 12
        if period in ("中午", "午饭") and hour < 6:
            hour += 12
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month_offset(word: str | None) -> int:
    return 1 if word and word.startswith("下") else 0


def _chinese_date(match: re.Match[str], today: date, prefer: Prefer
                  ) -> tuple[date | None, timedelta | None, int | None]:
    """The day a Chinese date phrase names, or an exact offset for "3小时后"; and the
    hour implied by words such as 今晚."""
    group = match.groupdict()
    if group["word"]:
        word = group["word"]
        hour = 20 if word.endswith("晚") else 9 if word.endswith("早") else None
        return today + timedelta(days=_DAY_WORDS[word]), None, hour
    if group["weekday"]:
        target = _WEEKDAY[group["weekday"]]
        monday = today - timedelta(days=today.weekday())
        which = group["which"] or ""
        if which.startswith("下下"):
            return monday + timedelta(days=14 + target), None, None
        if which.startswith("下"):
            return monday + timedelta(days=7 + target), None, None
        if which.startswith("上"):
            return monday + timedelta(days=target - 7), None, None
        if which:
            return monday + timedelta(days=target), None, None
        ahead = (target - today.weekday()) % 7
        if prefer is Prefer.PAST:
            return today - timedelta(days=(today.weekday() - target) % 7), None, None
        return today + timedelta(days=ahead), None, None
    if group["nextweek"]:
        monday = today - timedelta(days=today.weekday())
        weeks = {"下下": 14, "上": -7}.get(group["nextweek"][:2], 7)
        if group["nextweek"].startswith("上"):
            weeks = -7
        return monday + timedelta(days=weeks), None, None
    if group["month"]:
        year = int(group["year"]) if group["year"] else today.year
        month, day_of_month = int(group["month"]), int(group["day"])
        try:
            found = date(year, month, day_of_month)
        except ValueError:
            return None, None, None
        if not group["year"] and prefer is Prefer.FUTURE and found < today:
            found = date(year + 1, month, day_of_month)
        return found, None, None
    if group["mday"]:
        base = _add_months(today.replace(day=1), _month_offset(group["monthword"]))
        try:
            found = base.replace(day=int(group["mday"]))
        except ValueError:
            return None, None, None
        if not group["monthword"] and prefer is Prefer.FUTURE and found < today:
            found = _add_months(found, 1)
        return found, None, None
    if group["edge"]:
        base = _add_months(today.replace(day=1), _month_offset(group["monthrel"]))
        last = calendar.monthrange(base.year, base.month)[1]
        if group["edge"] == "初":
            if not group["monthrel"] and today.day > 5:
                base = _add_months(base, 1)
            return base, None, None
        if group["edge"] == "中":
            return base.replace(day=15), None, None
        return base.replace(day=last), None, None
    if group["nextmonth"]:
        return _add_months(today.replace(day=1), 1), None, None
    if group["yearend"]:
        return date(today.year, 12, 31), None, None
    count_text, unit = group["count"], group["unit"]
    count = 0.5 if count_text == "半" else float(count_text)
    if group["way"].endswith("前"):  # 3天前: three days ago
        count = -count
    if unit in ("小时", "钟头"):
        return None, timedelta(hours=count), None
    if unit == "分钟":
        return None, timedelta(minutes=count), None
    if unit == "月":
        months = round(count) or (1 if count > 0 else -1)
        return _add_months(today, months), None, None
    days = count * (7 if unit in ("周", "星期", "礼拜") else 1)
    return today + timedelta(days=round(days)), None, None


def _find_chinese(text: str, now: datetime, default_hour: int, prefer: Prefer) -> When | None:
    normal = chinese_numerals_to_digits(text)
    match = _CN_DATE.search(normal)
    day: date | None
    if match is None:
        clock_match = _CLOCK.search(normal)
        if clock_match is None or not (clock_match.group("hour") or clock_match.group("alone")):
            return None
        day, offset, implied = now.date(), None, None
    else:
        day, offset, implied = _chinese_date(match, now.date(), prefer)
        if day is None and offset is None:
            return None
        clock_match = _CLOCK.search(normal, match.end())
        if clock_match is not None and clock_match.start() - match.end() > 3:
            clock_match = None
    if offset is not None:
        return When((now + offset).replace(second=0, microsecond=0), match.group(0) if match
                    else "", True)
    clock = _clock(clock_match)
    if clock is not None and implied is not None and implied >= 12 and clock[0] < 12:
        clock = (clock[0] + 12, clock[1])  # 今晚8点
    has_time = clock is not None or implied is not None
    hour, minute = clock or ((implied, 0) if implied is not None else (default_hour, 0))
    assert day is not None
    at = datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)
    if match is None and prefer is Prefer.FUTURE and at <= now:
        at += timedelta(days=1)  # "下午3点" said at 4 pm means tomorrow's
    start = match.start() if match else clock_match.start() if clock_match else 0
    end = clock_match.end() if clock_match else match.end() if match else 0
    return When(at, normal[start:end].strip(), has_time)


def _english_extra(text: str, now: datetime, default_hour: int) -> When | None:
    today = now.date()
    for pattern, kind in _EN_EXTRAS:
        match = pattern.search(text)
        if match is None:
            continue
        days = {
            "eom": calendar.monthrange(today.year, today.month)[1] - today.day,
            "eow": (4 - today.weekday()) % 7,
            "nextweek": 7 - today.weekday(),
            "aftertomorrow": 2,
        }.get(kind)
        day = (today + timedelta(days=days) if days is not None
               else _add_months(today.replace(day=1), 1))
        clock = _english_clock(text)
        hour, minute = clock or (default_hour, 0)
        return When(datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo),
                    match.group(0), clock is not None)
    return None


def _english_clock(text: str) -> tuple[int, int] | None:
    match = _EN_CLOCK.search(text)
    if match is None:
        return None
    if match.group(1):
        hour, minute = int(match.group(1)) % 12, int(match.group(2) or 0)
        if match.group(3).lower() == "p":
            hour += 12
    else:
        hour, minute = int(match.group(4)), int(match.group(5))
    return (hour, minute) if hour < 24 and minute < 60 else None


def _clock_only(text: str, now: datetime, prefer: Prefer) -> When | None:
    """"3pm", "15:30": today, or tomorrow once that time has passed."""
    clock = _english_clock(text)
    if clock is None:
        return None
    at = now.replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
    if prefer is Prefer.FUTURE and at <= now:
        at += timedelta(days=1)
    return When(at, text, True)


def _find_english(text: str, now: datetime, default_hour: int, prefer: Prefer) -> When | None:
    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": prefer.value,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY" if re.search(r"\d{1,2}/\d{1,2}", text) else "MDY",
    }
    extra = _english_extra(text, now, default_hour)
    if extra is not None:
        return extra
    # Imported on the first English date: dateparser.search loads the data of all its 206
    # languages (5.6 MB of the bot's memory) however few are asked for.
    from dateparser.search import search_dates

    found = search_dates(text, languages=["en"], settings=settings)
    for phrase, value in found or []:
        words = phrase.split()
        if all(_EN_NOISE.match(w) or (w.isdigit() and len(w) < 3) for w in words):
            continue  # "call me at 5" style noise: a bare number is not a date
        has_time = bool(_EN_TIME_WORDS.search(phrase))
        at = value.replace(second=0, microsecond=0, tzinfo=now.tzinfo)
        if not has_time:
            at = at.replace(hour=default_hour, minute=0)
        return When(at, phrase, has_time)
    return _clock_only(text, now, prefer)


def find_when(text: str, now: datetime, *, default_hour: int = 9,
              prefer: Prefer = Prefer.FUTURE) -> When | None:
    """The first date or time in `text`, in `now`'s time zone; None when there is none."""
    if re.search(r"[\u4e00-\u9fff]", text):
        found = _find_chinese(text, now, default_hour, prefer)
        if found is not None:
            return found
    latin = re.sub(r"[\u4e00-\u9fff，。！？、；：]+", " ", text)
    if not re.search(r"[A-Za-z0-9]", latin):
        return None
    return _find_english(latin, now, default_hour, prefer)

"""Dates and times in people's words, Chinese or English, relative to the user's "now".

Each language has a small grammar of the forms salespeople write, and dateparser is only
asked about what a grammar leaves. dateparser 1.5 finds nothing in 明天下午3点, 下周二上午十点,
后天早上9点, 月底, 今晚8点 or 两周后; its English search misread common forms and costs the
running bot 15 MB (measured; see docs/decisions.md and `_find_english`). A date without
a time takes the configured default hour.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Iterable
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
# 早 and 晚 alone are a time of day only where they are not part of an adverb: 尽早, 提早,
# 最晚, 太晚 (soon, early, at the latest, too late), 早点, 晚点, 早已, 早就, 早日 (sooner,
# later, already). "尽早处理" had been read as tomorrow at 09:00.
_ALONE_PERIOD = "|".join(p for p in sorted(_PERIODS, key=len, reverse=True) if len(p) > 1)
_CLOCK = re.compile(
    rf"(?P<period>{_PERIOD})?\s*(?:(?P<hour>\d{{1,2}})\s*(?:[点点時时]|[:：](?=\d))"
    r"\s*(?P<minute>半|一刻|三刻|1刻|3刻|\d{1,2})?\s*分?"
    rf"|(?P<alone>(?<![今明昨])(?:{_ALONE_PERIOD})"
    r"|(?<![今明昨尽提最较太过很稍趁越早晚])[早晚](?![点些已就期日了饭餐晚早])))"
)
_DAY_WORDS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明早": 1, "明晚": 1,
              "今天": 0, "今日": 0, "今早": 0, "今晚": 0, "昨天": -1, "昨日": -1, "昨晚": -1,
              "前天": -2}
# The spoken forms of the same days (北方话 and casual writing): 今儿, 明儿个, 后个, 昨儿晚上.
_SPOKEN_DAYS = {"大后": 3, "后": 2, "明": 1, "今": 0, "昨": -1, "前": -2}
# 后 and 前 end many words (之后, 以前, 最后, 然后): only a spoken day where none of those is.
_SPOKEN_DAY = (r"(?P<spoken>大后|(?<![之以最然向往先其此背身午饭课事会节])[后前]|明|今|昨)"
               r"(?:天儿|儿个|儿|个)(?![月人位把台套些])")
_CN_DATE = re.compile(
    "|".join([
        r"(?P<word>大后天|后天|明天|明日|明早|明晚|今天|今日|今早|今晚|昨天|昨日|昨晚|前天)",
        _SPOKEN_DAY,
        # 过两天, 过几天, 过3周: a vague or a stated offset from now, forward only.
        r"过\s*(?P<vcount>\d{1,3}|几|些|一些)\s*个?\s*(?P<vunit>天|日子|日|周|星期|礼拜|月)",
        rf"(?P<which>下下|下个?|这个?|本|上个?)?{_WEEK}(?P<weekday>[1-7日天末])",
        rf"(?P<nextweek>下下|下个?|上个?){_WEEK}(?![1-7日天末])",
        r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})[日号]?",
        r"(?P<monthword>下个?月|这个?月|本月)?(?P<mday>\d{1,2})[日号]",
        r"(?P<monthrel>下个?|这个?|本)?月(?P<edge>底|初|中)",
        r"(?P<nextmonth>下个?月)",
        r"(?P<yearend>年底)",
        r"(?P<count>\d{1,3}(?:\.\d{1,2})?|半|几)\s*个?\s*(?P<half>半)?\s*"
        r"(?P<unit>天|日|周|星期|礼拜|月|小时|钟头|分钟)\s*(?P<half2>半)?"
        r"\s*(?P<way>后|以后|之后|前|以前|之前)",
    ])
)
_CN_UNITS = {"天": "days", "日": "days", "周": "weeks", "星期": "weeks", "礼拜": "weeks",
             "月": "months", "小时": "hours", "钟头": "hours", "分钟": "minutes"}
_DAYS_IN = {"days": 1, "weeks": 7, "fortnights": 14}
# What the vague counts stand for (docs/commands.md says so too): "a couple of days" and
# 两天 are two, "a few days", "several days" and 几天 / 些天 three. A range ("two or three
# days", 两三天, "a week or two") is its nearer end: a follow-up early is better than late.
VAGUE_COUNTS = {"couple": 2, "few": 3, "several": 3, "几": 3, "些": 3, "一些": 3}
# 两三天, 一两周, 三五天: the nearer of two counts, before the numerals become digits
# (where 一两 would read as 12).
_CN_RANGE = re.compile(
    r"([一二两三四五六七八九])[一二两三四五六七八九](?=\s*个?\s*(?:天|日|周|星期|礼拜|月|小时|钟头|分钟))")

# English: a grammar of the forms salespeople write (see `_find_english`).
_EN_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
                "saturday": 5, "sunday": 6}
# Abbreviations only after next/this/on…: "sat" and "sun" are words too.
_EN_WEEKDAYS_SHORT = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3,
                      "thurs": 3, "fri": 4, "sat": 5, "sun": 6}
_EN_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
              "july": 7, "august": 8, "september": 9, "october": 10, "november": 11,
              "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
              "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_EN_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
              "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
              "half an": 0.5, "half a": 0.5, "one and a half": 1.5,
              "a couple of": 2, "couple of": 2, "a couple": 2, "couple": 2,
              "a few": 3, "few": 3, "several": 3}
_EN_UNITS = {"min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
             "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours", "day": "days",
             "days": "days", "week": "weeks", "weeks": "weeks", "fortnight": "fortnights",
             "fortnights": "fortnights", "month": "months", "months": "months"}
# Hours a part of the day stands for, as the Chinese periods do.
_EN_PERIODS = {"morning": 9, "afternoon": 15, "evening": 18, "night": 20,
               "noon": 12, "midday": 12, "lunchtime": 12}


def _words(names: Iterable[str]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


_COUNT = rf"\d{{1,3}}(?:\.\d{{1,2}})?|{_words(_EN_COUNTS)}".replace(" ", r"\s+")
# "2-3 days", "two or three weeks": the nearer end counts; "a week or two", "an hour and a
# half" after the unit.
_RANGE_END = rf"(?:\s*(?:-|–|\bto\b|\bor\b)\s*(?:{_COUNT}))?"
_AND_HALF = r"\s+and\s+a\s+half"
_OR_MORE = r"(?:\s+or\s+(?:two|three|so|more))?"
_UNIT = _words(_EN_UNITS)
_MONTH = rf"(?:{_words(_EN_MONTHS)})\.?"
_ORDINAL = r"(?:st|nd|rd|th)"
_EN_DATE = re.compile(
    r"\b(?:(?:on|by|until|till|before)\s+)?(?:" + "|".join([
        r"(?P<word>(?:the\s+)?day\s+after\s+tomorrow|(?:the\s+)?day\s+before\s+yesterday"
        r"|tomorrow|today|tonight|yesterday"
        # how tomorrow and tonight are typed in a hurry
        r"|tmrw|tmr|tmw|2moro|2morrow|tomm?orr?ow|tomm?oro|tonite|2nite)",
        r"this\s+(?P<thisperiod>morning|afternoon|evening)",
        rf"(?:in|within|after)\s+(?P<ahead>{_COUNT}){_RANGE_END}\s+(?P<aheadunit>{_UNIT})"
        rf"(?P<andhalf>{_AND_HALF})?{_OR_MORE}",
        rf"(?P<count>{_COUNT}){_RANGE_END}\s+(?P<unit>{_UNIT})(?P<andhalf2>{_AND_HALF})?{_OR_MORE}"
        r"\s+(?P<way>ago|later|from\s+(?:now|today))",
        r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<endnext>next\s+)?(?P<end>month|week)",
        r"(?:(?P<which>next|this|coming)\s+)(?P<span>weekend|week|month)|(?:the\s+)?(?P<weekend>weekend)",
        # "met Jun 2 days ago": Jun is a given name there, the date is 2 days ago.
        rf"(?P<mname>{_MONTH})\s+(?P<mday>\d{{1,2}}){_ORDINAL}?(?:,?\s+(?P<myear>\d{{4}}))?"
        rf"(?!\d|\s*(?:{_UNIT}|times)\b)",
        rf"(?:the\s+)?(?P<dday>\d{{1,2}}){_ORDINAL}?\s+(?:of\s+)?(?P<dname>{_MONTH})"
        r"(?:,?\s+(?P<dyear>\d{4}))?",
        rf"(?P<yname>{_MONTH})\s+(?P<yyear>\d{{4}})",
        rf"(?:(?P<wq>next|this|coming|last)\s+)?(?P<weekday>{_words(_EN_WEEKDAYS)})",
        rf"(?P<wq2>next|this|coming|last|on|by|until)\s+(?P<short>{_words(_EN_WEEKDAYS_SHORT)})\.?",
        # "Tue 2pm", "thu at 10": a short weekday right before a time ("sat 2 hours" is not)
        rf"(?P<short2>{_words(_EN_WEEKDAYS_SHORT)})\.?(?=,?\s+(?:(?:at|@)\s*\d{{1,2}}(?!\d)"
        r"|\d{1,2}(?::\d\d|\s*[ap]\.?m\b)))",
        rf"the\s+(?P<nth>\d{{1,2}}){_ORDINAL}",
        r"(?<![\d/.-])(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})(?![\d/.-])",
        r"(?<![\d/.-])(?P<sa>\d{1,2})/(?P<sb>\d{1,2})(?:/(?P<sy>\d{4}|\d{2}))?(?![\d/.-])",
    ]) + r")\b",
    re.IGNORECASE,
)
_EN_CLOCK = re.compile(
    r"\b(?P<h12>\d{1,2})(?::(?P<m12>\d\d))?\s*(?P<ampm>[ap])\.?m\b\.?"
    r"|\b(?P<h24>\d{1,2}):(?P<m24>\d\d)\b"
    r"|\b(?P<oclock>\d{1,2})\s*o'?clock\b"
    rf"|\b(?:in\s+the\s+)?(?P<period>{_words(_EN_PERIODS)})\b",
    re.IGNORECASE,
)
_CLOCK_BODY = _EN_CLOCK.pattern
# After a date, "at 10" is a time too ("tomorrow at 10"); alone it is anything.
_EN_CLOCK_AFTER = re.compile(
    rf"[\s,]*(?:(?:(?:at|@|around|by)\s*)?(?:{_CLOCK_BODY})"
    r"|(?:at|@|around)\s*(?P<bare>\d{1,2})(?![\d:./%]|\s*(?:[ap]\.?m\b|%)))",
    re.IGNORECASE,
)
_EN_CLOCK_BEFORE = re.compile(
    rf"(?:{_CLOCK_BODY}|(?:at|@|around)\s*(?P<bare>\d{{1,2}}))[\s,]*(?:on\s+)?$", re.IGNORECASE)
# "we may 5 more": may is a month only when no one is its subject.
_EN_MAY_SUBJECT = re.compile(r"\b(?:i|we|you|they|he|she|it|who|which|that|there)\s+$",
                             re.IGNORECASE)
# Date words the grammar does not read; only then is dateparser asked (and loaded). The
# short months are left out: alone they are names as often (Jun, May, Jan).
_EN_DATEISH = re.compile(
    r"\b(?:fortnight|quarter|years?|hence|eve|midnight"
    rf"|{_words(m for m in _EN_MONTHS if len(m) > 4)}|\d{{1,2}}{_ORDINAL})\b",
    re.IGNORECASE,
)
_EN_NOISE = re.compile(r"^(?:on|at|in|by|the|a|an|to|and|up|call|me|us|him|her)$", re.I)


class Prefer(StrEnum):
    FUTURE = "future"
    PAST = "past"


@dataclass(frozen=True)
class When:
    at: datetime
    text: str
    has_time: bool
    # Another reading people mean as often, offered on the card with one tap: "next
    # Friday" said on a Thursday is read as tomorrow, or the Friday a week later.
    alternative: datetime | None = None


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

    text = _CN_RANGE.sub(lambda m: m.group(1), text)
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
    if group["spoken"]:
        return today + timedelta(days=_SPOKEN_DAYS[group["spoken"]]), None, None
    if group["vunit"]:
        vague = group["vcount"]
        return _shifted(today, VAGUE_COUNTS[vague] if vague in VAGUE_COUNTS else int(vague),
                        _CN_UNITS[group["vunit"].removesuffix("子")])
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
    count: float = (0.5 if count_text == "半" else VAGUE_COUNTS[count_text]
                    if count_text in VAGUE_COUNTS else float(count_text))
    if group["half"] or group["half2"]:
        count += 0.5  # 一个半月, 两个半小时, 一天半
    if group["way"].endswith("前"):  # 3天前: three days ago
        count = -count
    return _shifted(today, count, _CN_UNITS[unit])


def _shifted(today: date, count: float, unit: str
             ) -> tuple[date | None, timedelta | None, int | None]:
    """`count` `unit`s from now (negative: ago), in either language's words: an exact
    offset for minutes and hours, a day for the rest."""
    if unit in ("minutes", "hours"):
        return None, timedelta(**{unit: count}), None
    if unit == "months":
        # Whole months by the calendar, a part of one as days: half a month is 15 days,
        # 一个半月 a month and 15 days.
        whole = int(count)
        return (_add_months(today, whole) + timedelta(days=round((count - whole) * 30)),
                None, None)
    return today + timedelta(days=round(count * _DAYS_IN[unit])), None, None


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
        # An offset is exact to the second: cut to the minute, "1分钟后" said at 05:40:59
        # was one second ahead and Save refused it as past (an end-to-end run caught it).
        return When(now + offset, match.group(0) if match else "", True)
    clock = _clock(clock_match)
    if clock is not None and implied is not None and implied >= 12 and clock[0] < 12:
        clock = (clock[0] + 12, clock[1])  # 今晚8点
    has_time = clock is not None or implied is not None
    hour, minute = clock or ((implied, 0) if implied is not None else (default_hour, 0))
    assert day is not None
    at = datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)
    if match is None and prefer is Prefer.FUTURE and at <= now:
        at += timedelta(days=1)  # "下午3点" said at 4 pm means tomorrow's
    if match is not None and prefer is Prefer.FUTURE and at <= now and _bare_weekday(match):
        at += timedelta(days=7)  # "周五上午9点" said on Friday at 10: next Friday
    start = match.start() if match else clock_match.start() if clock_match else 0
    end = clock_match.end() if clock_match else match.end() if match else 0
    return When(at, normal[start:end].strip(), has_time)


def _english_date(match: re.Match[str], today: date, prefer: Prefer, day_first: bool | None
                  ) -> tuple[date | None, timedelta | None, int | None]:
    """The day an English date phrase names, or an exact offset for "in 2 hours"; and the
    hour implied by words such as tonight. (None, None, None): not a day ("this week",
    February 30th)."""
    group = {name: " ".join(value.lower().split()) for name, value in match.groupdict().items()
             if value}
    weekday = today.weekday()
    if "word" in group:
        word = group["word"].removeprefix("the ")
        tonight = word in ("tonight", "tonite", "2nite")
        days = {"day after tomorrow": 2, "day before yesterday": -2, "today": 0,
                "yesterday": -1}.get(word, 0 if tonight else 1)
        return today + timedelta(days=days), None, 20 if tonight else None
    if "thisperiod" in group:
        return today, None, _EN_PERIODS[group["thisperiod"]]
    if "ahead" in group or "count" in group:
        count_text = group.get("ahead") or group["count"]
        count = _EN_COUNTS[count_text] if count_text in _EN_COUNTS else float(count_text)
        if "andhalf" in group or "andhalf2" in group:
            count += 0.5
        unit = _EN_UNITS[group.get("aheadunit") or group["unit"]]
        return _shifted(today, -count if group.get("way") == "ago" else count, unit)
    if "end" in group:
        if group["end"] == "week":
            friday = today + timedelta(days=(4 - weekday) % 7)
            return friday + timedelta(days=7 if "endnext" in group else 0), None, None
        month = _add_months(today.replace(day=1), 1 if "endnext" in group else 0)
        return month.replace(day=calendar.monthrange(month.year, month.month)[1]), None, None
    if "span" in group or "weekend" in group:
        span, which = group.get("span", "weekend"), group.get("which", "")
        if span == "weekend":
            ahead = (5 - weekday) % 7 + (7 if which == "next" and weekday >= 5 else 0)
            return today + timedelta(days=ahead), None, None
        if which == "this":
            return None, None, None  # no one day: "follow up this week"
        if span == "week":
            return today + timedelta(days=7 - weekday), None, None
        return _add_months(today.replace(day=1), 1), None, None
    if "mname" in group or "dname" in group or "yname" in group:
        name = group.get("mname") or group.get("dname") or group["yname"]
        year_text = group.get("myear") or group.get("dyear") or group.get("yyear")
        day = _dated(today, prefer, int(year_text) if year_text else None,
                     _EN_MONTHS[name.rstrip(".")], int(group.get("mday") or group.get("dday") or 1))
        return day, None, None
    if "weekday" in group or "short" in group or "short2" in group:
        target = _english_weekday(group)
        which = group.get("wq") or group.get("wq2") or ""
        if which == "last" or (which != "next" and which != "this" and prefer is Prefer.PAST):
            return today - timedelta(days=(weekday - target) % 7 or 7), None, None
        if which == "this":
            back = prefer is Prefer.PAST and target < weekday
            return today + timedelta(days=target - weekday if back else (target - weekday) % 7
                                     ), None, None
        if which == "next":
            return today + timedelta(days=(target - weekday) % 7 or 7), None, None
        # A bare weekday is this week's, today's too: a week on once its time has passed
        # (`_bare_weekday`, in `_find_english`).
        return today + timedelta(days=(target - weekday) % 7), None, None
    if "nth" in group:
        for months in ((0, 1, 2) if prefer is Prefer.FUTURE else (0, -1, -2)):
            month = _add_months(today.replace(day=1), months)
            with contextlib.suppress(ValueError):
                found = month.replace(day=int(group["nth"]))
                if (found >= today) == (prefer is Prefer.FUTURE) or found == today:
                    return found, None, None
        return None, None, None
    if "iy" in group:
        iso = _dated(today, prefer, int(group["iy"]), int(group["im"]), int(group["id"]))
        return iso, None, None
    year = int(group["sy"]) + (2000 if len(group["sy"]) == 2 else 0) if "sy" in group else None
    first, second = int(group["sa"]), int(group["sb"])
    # In the team's order (`day_first_in`), unless only the other way is a date: 12/15.
    if day_first:
        first, second = second, first
    return (_dated(today, prefer, year, first, second)
            or _dated(today, prefer, year, second, first)), None, None


def _english_weekday(group: dict[str, str]) -> int:
    """The weekday (Monday 0) a matched English weekday names, long or short."""
    if "weekday" in group:
        return _EN_WEEKDAYS[group["weekday"]]
    return _EN_WEEKDAYS_SHORT[(group.get("short") or group["short2"]).rstrip(".")]


def _dated(today: date, prefer: Prefer, year: int | None, month: int, day: int) -> date | None:
    """That day; without a year, the next one (or, looking back, the last one)."""
    try:
        found = date(year or today.year, month, day)
        if year is None and prefer is Prefer.FUTURE and found < today:
            found = found.replace(year=today.year + 1)
        if year is None and prefer is Prefer.PAST and found > today:
            found = found.replace(year=today.year - 1)
    except ValueError:
        return None
    return found


def _clock_value(match: re.Match[str]) -> tuple[int, int] | None:
    group = {name: value.lower() for name, value in match.groupdict().items() if value}
    if "h12" in group:
        hour = int(group["h12"]) % 12 + (12 if group["ampm"] == "p" else 0)
        minute = int(group.get("m12", 0))
    elif "h24" in group:
        hour, minute = int(group["h24"]), int(group["m24"])
    elif "period" in group:
        return _EN_PERIODS[group["period"]], 0
    else:  # "3 o'clock", "tomorrow at 3": a salesperson's 3 is in the afternoon
        hour, minute = int(group.get("oclock") or group["bare"]), 0
        hour += 12 if 1 <= hour <= 7 else 0
    return (hour, minute) if hour < 24 and minute < 60 else None


def _english_clock_near(text: str, start: int, end: int) -> tuple[tuple[int, int] | None, int, int]:
    """The time said right after a date phrase or right before it ("at 9am tomorrow"),
    and the span of both."""
    after = _EN_CLOCK_AFTER.match(text, end)
    if after is not None and (clock := _clock_value(after)) is not None:
        return clock, start, after.end()
    before = _EN_CLOCK_BEFORE.search(text, 0, start)
    if before is not None and (clock := _clock_value(before)) is not None:
        return clock, before.start(), end
    return None, start, end


def _clock_only(text: str, now: datetime, prefer: Prefer) -> When | None:
    """"3pm", "15:30", "noon": today, or tomorrow once that time has passed. A part of the
    day alone ("in the afternoon") is too vague to remind at."""
    for match in _EN_CLOCK.finditer(text):
        if (match.group("period") or "").lower() in ("morning", "afternoon", "evening", "night"):
            continue
        clock = _clock_value(match)
        if clock is None:
            continue
        at = now.replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
        if prefer is Prefer.FUTURE and at <= now:
            at += timedelta(days=1)
        return When(at, match.group(0).strip(), True)
    return None


def _bare_weekday(match: re.Match[str]) -> bool:
    """A weekday said without next/this/last (Chinese or English): this week's, or next
    week's once its time has passed today."""
    group = match.groupdict()
    if group.get("weekday"):
        return not (group.get("which") or group.get("wq"))
    return bool(group.get("short2") or (group.get("short") and group.get("wq2") in (
        "on", "by", "until")))


def _next_this_week(match: re.Match[str], now: datetime) -> bool:
    """"next Friday" said before Friday in the same week: the coming one or the one after
    it, as people mean either (the coming one is read, the other offered)."""
    group = {name: value.lower() for name, value in match.groupdict().items() if value}
    if (group.get("wq") or group.get("wq2")) != "next":
        return False
    return _english_weekday(group) > now.weekday()


def _find_english(text: str, now: datetime, default_hour: int, prefer: Prefer,
                  day_first: bool | None) -> When | None:
    """The grammar above first. dateparser reads only what it leaves with a date word in
    it: its search mistook "call 138 1234 5678" for the year 1234, "tomorrow at 10" for
    9:00 and "sat down with Li" for Saturday, took 0.4 s on the event loop the first time
    and 1 ms a message after, and costs the process 15 MB once loaded (measured on
    `salesbot run`, bench/process.py)."""
    read = False
    for match in _EN_DATE.finditer(text):
        if (match.group("mname") or "").lower() == "may" and _EN_MAY_SUBJECT.search(
                text, 0, match.start()):
            continue
        read = True
        day, offset, implied = _english_date(match, now.date(), prefer, day_first)
        if offset is not None:
            return When(now + offset, match.group(0).strip(), True)  # exact, as above
        if day is None:
            continue
        clock, start, end = _english_clock_near(text, match.start(), match.end())
        if clock is not None and implied is not None and implied >= 12 and clock[0] < 12:
            clock = (clock[0] + 12, clock[1])  # tonight at 8
        hour, minute = clock or (implied if implied is not None else default_hour, 0)
        at = datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)
        if prefer is Prefer.FUTURE and at <= now and _bare_weekday(match):
            at += timedelta(days=7)  # "Friday 9am" said on Friday at 10: next Friday
        alternative = (at + timedelta(days=7) if _next_this_week(match, now)
                       else _other_order(match, now.date(), prefer, day_first, at))
        return When(at, text[start:end].strip(), clock is not None or implied is not None,
                    alternative)
    found = _clock_only(text, now, prefer)
    if found is None and not read and _EN_DATEISH.search(text):
        found = _dateparser_reads(text, now, default_hour, prefer, day_first)
    return found


def _other_order(match: re.Match[str], today: date, prefer: Prefer, day_first: bool | None,
                 at: datetime) -> datetime | None:
    """In a team whose order is not known (`day_first` None), 12/8 read month first, and
    the 12th of August offered beside it; nothing where only one order is a date."""
    if day_first is not None or not match.groupdict().get("sa"):
        return None
    other = _english_date(match, today, prefer, True)[0]
    return None if other is None or other == at.date() else datetime.combine(
        other, at.timetz())


def _dateparser_reads(text: str, now: datetime, default_hour: int, prefer: Prefer,
                      day_first: bool | None) -> When | None:
    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": prefer.value,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY" if day_first else "MDY",
    }
    # Imported here: dateparser.search loads the data of all its 206 languages however few
    # are asked for.
    from dateparser.search import search_dates

    found = search_dates(text, languages=["en"], settings=settings)
    for phrase, value in found or []:
        words = phrase.split()
        if all(_EN_NOISE.match(w) or w.isdigit() for w in words):
            continue  # "call me at 5", "138 1234": a bare number is not a date
        has_time = _EN_CLOCK.search(phrase) is not None
        at = value.replace(second=0, microsecond=0, tzinfo=now.tzinfo)
        if not has_time:
            at = at.replace(hour=default_hour, minute=0)
        return When(at, phrase, has_time)
    return None


# Where a short numeric date is month first (12/8 is 8 December): China, the United
# States and a few others. Most of the world, the United Kingdom and the EU among it,
# writes the day first (12/8 is 12 August).
MONTH_FIRST_REGIONS = frozenset({"CN", "TW", "JP", "KR", "US", "PH", "FM", "MH", "PW"})
# Where both orders are in daily use (Canada: its government's own forms carry both), and
# a team that has named no region: 12/8 is read month first and the other reading is
# offered with one tap.
EITHER_ORDER_REGIONS = frozenset({"CA", ""})


def day_first_in(region: str | None) -> bool | None:
    """Whether a team in `region` (an ISO country code) writes 12/8 as the 12th of August;
    None where it may mean either."""
    code = (region or "").upper()
    if code in EITHER_ORDER_REGIONS:
        return None
    return code not in MONTH_FIRST_REGIONS


def find_when(text: str, now: datetime, *, default_hour: int = 9,
              prefer: Prefer = Prefer.FUTURE, day_first: bool | None = False) -> When | None:
    """The first date or time in `text`, in `now`'s time zone; None when there is none.
    `day_first`: the team writes 12/8 for the 12th of August (`day_first_in`); None: its
    order is not known, and an ambiguous 12/8 carries the other reading as `alternative`."""
    if re.search(r"[\u4e00-\u9fff]", text):
        found = _find_chinese(text, now, default_hour, prefer)
        if found is not None:
            return found
    latin = re.sub(r"[\u4e00-\u9fff，。！？、；：]+", " ", text)
    if not re.search(r"[A-Za-z0-9]", latin):
        return None
    return _find_english(latin, now, default_hour, prefer, day_first)

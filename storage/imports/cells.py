"""Values out of spreadsheet cells: dates in the forms sheets hold them, tier and stage
words, lists in one cell, amounts of money.

Dates are read by a few patterns rather than dateparser (about 1 ms a call: 100 s for a
100,000-row sheet): ISO and Chinese forms (2024-03-05, 2024/3/5, 2024年3月5日 14:30),
day-first dots (05.03.2024), slashes with the year last (month first unless the first
number is over 12), and Excel serial day numbers (45356 = 2024-03-05).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from storage.errors import N_, ValidationFailed
from storage.models import InteractionKind, Stage, Tier

_EXCEL_EPOCH = date(1899, 12, 30)
_TIME = r"(?:[ T]+(?P<h>\d{1,2})[:点时](?P<mi>\d{1,2})?(?::(?P<s>\d{1,2}))?(?:\.\d+)?分?)?"
_YMD = re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?号?" + _TIME
                  + r"\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_DMY_DOTS = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})" + _TIME + "$")
_SLASH_YEAR_LAST = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})" + _TIME + "$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_LIST = re.compile(r"[,;，；、/|\n]+")

TIER_WORDS: dict[str, Tier] = {
    **{w: Tier.CORE for w in ("core", "核心", "vip", "a", "a类", "重点", "战略", "key")},
    **{w: Tier.IMPORTANT for w in ("important", "重要", "b", "b类", "high")},
    **{w: Tier.NORMAL for w in ("normal", "普通", "一般", "c", "c类", "d", "low", "regular")},
}
STAGE_WORDS: dict[str, Stage] = {
    **{w: Stage.LEAD for w in ("lead", "线索", "新线索", "new", "subscriber")},
    **{w: Stage.PROSPECT for w in ("prospect", "潜在", "潜在客户", "意向", "意向客户",
                                   "opportunity", "qualified", "跟进中", "洽谈")},
    **{w: Stage.CUSTOMER for w in ("customer", "客户", "成交", "已成交", "成交客户",
                                   "won", "签约")},
    **{w: Stage.LOYAL for w in ("loyal", "忠实", "忠诚", "老客户", "复购", "evangelist")},
    **{w: Stage.CHURNED for w in ("churned", "流失", "已流失", "lost", "丢单")},
}
KIND_WORDS: dict[str, InteractionKind] = {
    **{w: InteractionKind.CALL for w in ("call", "电话", "通话", "phone", "来电", "致电")},
    **{w: InteractionKind.MEETING for w in ("meeting", "visit", "拜访", "见面", "会议",
                                            "面谈", "上门", "demo")},
    **{w: InteractionKind.MESSAGE for w in ("message", "微信", "短信", "sms", "wechat",
                                            "消息", "chat")},
    **{w: InteractionKind.EMAIL for w in ("email", "邮件", "e-mail", "mail")},
    **{w: InteractionKind.FEEDBACK for w in ("feedback", "反馈", "投诉", "complaint")},
    **{w: InteractionKind.NOTE for w in ("note", "备注", "记录")},
}


# A cell's amount: a number, with a currency mark before or after and 万/k, as sheets and
# our own export write them ("¥5,000", "5000", "$1,200.50", "4.8万", "USD 800"); several
# currencies in one cell are separated by ";". A cell is not a sentence: words around a
# number are refused, not guessed (sentences are read in bot/understanding/amounts.py).
_MARKS = {"¥": "CNY", "￥": "CNY", "rmb": "CNY", "cny": "CNY", "元": "CNY", "$": "USD",
          "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
          "hk$": "HKD", "hkd": "HKD"}
_MONEY = re.compile(r"^(?P<pre>[¥￥$€£]|us\$|hk\$|rmb|cny|usd|eur|gbp|hkd)?\s*"
                    r"(?P<n>\d[\d,]*(?:\.\d{1,2})?)\s*(?P<scale>万|k)?\s*"
                    r"(?P<post>元|rmb|cny|usd|eur|gbp|hkd)?$", re.I)


def amounts_of(text: str, currency: str, field: str) -> dict[str, int]:
    """{"CNY": 500000, "USD": 50000} (minor units) from "¥5,000; $500"; `currency` where a
    part names none. ValidationFailed for a part that is no amount."""
    found: dict[str, int] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        match = _MONEY.match(part.casefold())
        if match is None:
            raise ValidationFailed(field, N_("“{value}” in the {label} column is not an "
                                             "amount."), value=part[:40])
        mark = match.group("pre") or match.group("post")
        scale = {"万": 10_000, "k": 1_000}.get(match.group("scale") or "", 1)
        minor = int(Decimal(match.group("n").replace(",", "")) * scale * 100)
        code = _MARKS[mark.casefold()] if mark else currency
        found[code] = found.get(code, 0) + minor
    return found


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST.split(text) if part.strip()]


def tier_of(text: str) -> str:
    found = TIER_WORDS.get(text.strip().casefold().rstrip("级"))
    if found is None:
        raise ValidationFailed("tier", N_("Unknown tier “{value}”."), value=text[:20])
    return found.value


def stage_of(text: str) -> str:
    found = STAGE_WORDS.get(text.strip().casefold())
    if found is None:
        raise ValidationFailed("stage", N_("Unknown stage “{value}”."), value=text[:20])
    return found.value


def kind_of(text: str) -> InteractionKind:
    folded = text.strip().casefold()
    if folded in KIND_WORDS:
        return KIND_WORDS[folded]
    return next((kind for word, kind in KIND_WORDS.items() if len(word) > 1 and word in folded),
                InteractionKind.NOTE)


def sheet_date(text: str, zone: ZoneInfo, default_hour: int, field: str) -> datetime:
    """A cell's date and time as UTC; a date alone gets `default_hour` in `zone`."""
    value = text.strip()
    parts = _date_parts(value)
    if parts is None:
        raise ValidationFailed(field, N_("“{value}” is not a date I can read."),
                               value=value[:30])
    day, hour, minute = parts
    if not 1900 < day.year < 2200:
        raise ValidationFailed(field, N_("“{value}” is not a date I can read."),
                               value=value[:30])
    local = datetime(day.year, day.month, day.day, default_hour if hour is None else hour,
                     minute or 0, tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC"))


def _date_parts(value: str) -> tuple[date, int | None, int | None] | None:
    if _SERIAL.match(value):
        serial = float(value)
        day = _EXCEL_EPOCH + timedelta(days=int(serial))
        seconds = round((serial % 1) * 86400)
        return (day, seconds // 3600, seconds % 3600 // 60) if seconds else (day, None, None)
    for pattern in (_YMD, _DMY_DOTS, _SLASH_YEAR_LAST):
        match = pattern.match(value)
        if match is None:
            continue
        fields = match.groupdict()
        if pattern is _SLASH_YEAR_LAST:
            first, second = int(fields["a"]), int(fields["b"])
            month, day_of = (second, first) if first > 12 else (first, second)
        else:
            month, day_of = int(fields["m"]), int(fields["d"])
        hour = int(fields["h"]) if fields.get("h") else None
        minute = int(fields["mi"]) if fields.get("mi") else None
        try:
            return (date(int(fields["y"]), month, day_of), hour if hour is None or hour < 24
                    else None, minute if minute is None or minute < 60 else None)
        except ValueError:
            return None
    return None

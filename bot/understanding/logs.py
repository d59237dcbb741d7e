"""A call, visit or note logged in one sentence: what kind of contact it was, when it
happened and when to follow up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.understanding.dates import chinese_numerals_to_digits, find_when
from storage.models import InteractionKind

_KIND_WORDS: list[tuple[InteractionKind, re.Pattern[str]]] = [
    (InteractionKind.FEEDBACK, re.compile(
        r"反馈|投诉|抱怨|\b(?:feedback|complain(?:ed|s|t)?)\b", re.I)),
    (InteractionKind.EMAIL, re.compile(r"邮件|电邮|\b(?:e-?mail(?:ed)?|mailed)\b", re.I)),
    (InteractionKind.MESSAGE, re.compile(
        r"微信|短信|发消息|发了消息|留言|\b(?:wechat(?:ed)?|sms|texted|messaged|whatsapp(?:ed)?)\b",
        re.I)),
    (InteractionKind.MEETING, re.compile(
        r"拜访|见面|见了|会面|面谈|约见|开会|吃饭|来访|"
        r"\b(?:visit(?:ed)?|met|meeting|lunch|dinner|demo(?:ed)?)\b", re.I)),
    (InteractionKind.CALL, re.compile(
        r"打电话|打了电话|通话|电话|致电|来电|回电|"
        r"\b(?:call(?:ed)?|phoned|rang|spoke|talked)\b", re.I)),
]
_NOTE_WORDS = re.compile(r"^(?:note|备注|记录)[:：\s]", re.I)


def interaction_kind(text: str) -> InteractionKind | None:
    """The kind of contact a sentence reports, from keywords in either language."""
    if _NOTE_WORDS.match(text.strip()):
        return InteractionKind.NOTE
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    return None


def reads_like_log(text: str) -> bool:
    return interaction_kind(text) is not None and len(text.strip()) >= 4


# Words that ask for a follow-up: a time beside one is when to follow up, even when that
# time has passed today ("follow up tonight at 8" said at 11 pm means tomorrow's).
_FOLLOW_UP_WORDS = re.compile(
    r"(?:跟进|再联系|再打|回电|回访|再约|提醒|催)(?![了过])|"
    r"\b(?:follow[\s-]*up|remind|call\s+(?:\w+\s+)?back|check\s+in|ping|chase)\b", re.I)
# A time that is a deadline, not a follow-up: 月底前, 周五之前, "by Friday", "before the 5th".
_DEADLINE_AFTER = re.compile(r"\s*(?:之前|以前|前|为止)")
_DEADLINE_WORD = r"\b(?:by|before|until|till|no\s+later\s+than)"
_DEADLINE_BEFORE = re.compile(rf"{_DEADLINE_WORD}\s*$", re.I)  # "… by | Friday"
_DEADLINE_LEADS = re.compile(rf"{_DEADLINE_WORD}\s", re.I)  # the date's words: "by Friday"
_CLAUSE_END = re.compile(r"[，,。.；;！!？?\n]")


@dataclass(frozen=True)
class LogTimes:
    """When the contact happened and when to follow up, read from one sentence; a
    deadline said beside them; and the time asked for when it had passed and the next
    such time became the follow-up (the card says so)."""

    occurred: datetime | None = None
    due: datetime | None = None
    deadline: datetime | None = None
    passed: datetime | None = None
    due_alternative: datetime | None = None  # another reading of the follow-up time


def _clause_around(text: str, start: int, end: int) -> str:
    """The clause a phrase stands in: from the punctuation before it to the one after."""
    before = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    after = _CLAUSE_END.search(text, end)
    return text[before:after.start() if after else len(text)]


def contact_and_follow_up_times(text: str, now: datetime, default_hour: int, *,
                                logging: bool, day_first: bool | None = False) -> LogTimes:
    """When it happened, when to follow up, and any deadline, from one sentence.

    A time already past is when the contact happened; a future one is the follow-up.
    "昨天下午拜访了王总，下周五跟进" gives both. A time beside a follow-up word that has
    passed today is the next such time ("跟进" at 23:00 for 今晚8点: tomorrow 20:00). A
    time marked as a deadline ("月底前给答复，明天上午10点再打电话") is noted, and is the
    follow-up only when no other time is.
    """
    occurred = due = deadline = passed = alternative = None
    rest = text
    for _ in range(3):
        found = find_when(rest, now, default_hour=default_hour, day_first=day_first)
        if found is None:
            break
        if found.text and found.text not in rest:  # found in digits: 三天后 read as 3天后
            rest = chinese_numerals_to_digits(rest)
        start = rest.find(found.text) if found.text else -1
        end = start + len(found.text) if start >= 0 else -1
        clause = _clause_around(rest, start, end) if start >= 0 else rest
        at = found.at
        if start >= 0 and at > now and deadline is None and (
                _DEADLINE_AFTER.match(rest, end) or _DEADLINE_BEFORE.search(rest, 0, start)
                or _DEADLINE_LEADS.match(found.text)):
            deadline = at
        elif at <= now and at.date() == now.date() and found.has_time and (
                _FOLLOW_UP_WORDS.search(clause) or not logging) and due is None:
            passed, due = at, at + timedelta(days=1)
        elif at <= now and logging and occurred is None:
            occurred = at
        elif at > now and due is None:
            due, alternative = at, found.alternative
        elif at <= now and not logging and due is None:
            due = at  # /remind with a past date: the card says so, saving refuses
        if start >= 0:
            rest = rest[:start] + " " + rest[end:]  # then look again in what is left
        elif found.text:
            rest = rest.replace(found.text, " ", 1)
        else:
            rest = ""
        if not rest.strip():
            break
    if due is None and deadline is not None:
        due, deadline = deadline, None  # "send the contract by Wednesday": that is the day
    return LogTimes(occurred, due, deadline, passed, alternative)

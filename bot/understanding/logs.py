"""A call, visit or note logged in one sentence: what kind of contact it was, when it
happened and when to follow up."""

from __future__ import annotations

import re
from datetime import datetime

from bot.understanding.dates import find_when
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


def contact_and_follow_up_times(text: str, now: datetime, default_hour: int, *,
                                logging: bool) -> tuple[datetime | None, datetime | None]:
    """(when it happened, when to follow up) from one sentence.

    A time already past is when the contact happened; a future one is the follow-up.
    "昨天下午拜访了王总，下周五跟进" gives both.
    """
    occurred = due = None
    rest = text
    for _ in range(2):
        found = find_when(rest, now, default_hour=default_hour)
        if found is None:
            break
        if found.at <= now and logging and occurred is None:
            occurred = found.at
        elif found.at > now and due is None:
            due = found.at
        elif found.at <= now and not logging:
            due = found.at  # /remind with a past time: the card says so, saving refuses
        rest = rest.replace(found.text, " ", 1) if found.text else ""
        if not rest.strip():
            break
    return occurred, due

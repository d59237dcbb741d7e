"""Filter words: `tag:展会 tier:core stage:lead owner:Bob region:上海 quiet:30
created:2026-01-01..2026-06-30 bought:X1 within:90` in any order, each optional, and
`seg:NAME` for the words a saved segment holds.

The one reader of these words for /find, /export, /stats, /segment and the Mini App's
segment filter: it makes a CustomerFilter, which storage/filters.py turns into SQL. Words
it does not know are refused with a sentence naming them, never passed over.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from storage import filters
from storage.errors import N_, ValidationFailed
from storage.filters import CustomerFilter
from storage.imports.cells import STAGE_WORDS, TIER_WORDS
from storage.models import Stage, Tier
from storage.sales import segments
from storage.users import Actor

_WORD = re.compile(r"(\w+)[:：=](\S+)")


def filter_from_words(text: str, zone: ZoneInfo) -> CustomerFilter:
    """The filter the words say (dates in `zone`); words without a colon are left to the
    caller (`csv` for /export)."""
    found: dict[str, object] = {}
    for key, value in _WORD.findall(text):
        key = key.casefold()
        if key in ("tag", "标签"):
            found["tag"] = value
        elif key in ("tier", "等级"):
            found["tier"] = _known(TIER_WORDS, value, "tier").value
        elif key in ("stage", "阶段"):
            found["stage"] = _known(STAGE_WORDS, value, "stage").value
        elif key in ("owner", "负责人"):
            found["owner"] = value
        elif key in ("region", "地区", "城市"):
            found["region"] = value
        elif key in ("quiet", "沉默"):
            if not value.isdigit() or not 0 < int(value) < 3650:
                raise ValidationFailed("quiet", N_("quiet: takes a number of days, e.g. "
                                                   "quiet:30."))
            found["quiet_days"] = int(value)
        elif key in ("created", "创建"):
            found["created_from"], found["created_to"] = _period(value, zone)
        elif key in ("bought", "买过"):
            found["bought"] = value[:100]
        elif key in ("within", "近"):
            days = value.rstrip("dD天")
            if not days.isdigit() or not 0 < int(days) < 3650:
                raise ValidationFailed("filter", N_("within: takes a number of days, e.g. "
                                                    "bought:X1 within:90."))
            found["within_days"] = int(days)
        else:
            raise ValidationFailed("filter", N_("Unknown filter “{value}”. Use tag:, tier:, "
                                                "stage:, owner:, region:, quiet:, created:, "
                                                "bought: or within:."), value=key[:20])
    return CustomerFilter(**found)  # type: ignore[arg-type]


async def condition_of_words(session: AsyncSession, actor: Actor, words: str
                             ) -> ColumnElement[bool]:
    """The customers filter words (with any seg:NAME in them, read as they mean today)
    choose, as SQL: /find, /stats and the Mini App's segment filter."""
    chosen = filter_from_words(await segments.expand(session, words), ZoneInfo(actor.timezone))
    return await filters.condition_for(session, actor, chosen)


def _known(words: dict[str, Tier] | dict[str, Stage], value: str, name: str) -> Tier | Stage:
    found = words.get(value.casefold())
    if found is None:
        raise ValidationFailed(name, N_("Unknown {label} “{value}”."), value=value[:20])
    return found


def _period(value: str, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    start, _, end = value.partition("..")
    try:
        first = datetime.fromisoformat(start).replace(tzinfo=zone) if start else None
        last = (datetime.fromisoformat(end).replace(tzinfo=zone) + timedelta(days=1)
                if end else None)
    except ValueError as exc:
        raise ValidationFailed("created", N_("created: takes dates, e.g. "
                                             "created:2026-01-01..2026-06-30.")) from exc
    return first, last

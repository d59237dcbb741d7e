"""Segments: saved filters by name ("上海核心沉默" = tier:core region:上海 quiet:30), usable
wherever filters are (`/export seg:上海核心沉默`, `/find seg:…`, `/stats seg:…`).

A segment keeps the filter words as the member wrote them; `expand` puts them in place of
`seg:NAME` before the words are read (bot/tables/exporting.py), so a segment always means what
its words mean today (quiet:30 counts from now, not from when it was saved)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.errors import N_, NotFound, ValidationFailed
from storage.models import Segment
from storage.users import Actor
from storage.validation import clean_text

_REFERENCE = re.compile(r"(?:seg|segment|分组)[:：=](\S+)", re.I)
_NAME = re.compile(r"^[^\s:：=]{1,64}$")


async def save_segment(session: AsyncSession, actor: Actor, name: str, query: str
                       ) -> Segment:
    """Saves (or replaces) the segment `name`; the query was checked by the caller."""
    if not _NAME.match(name):
        raise ValidationFailed("segment", N_("A segment's name is one word of up to 64 "
                                             "characters, without “:”."))
    words = clean_text("reminder", query, required=True) or ""
    if _REFERENCE.search(words):
        raise ValidationFailed("segment", N_("A segment cannot name another segment."))
    segment = await session.scalar(select(Segment).where(Segment.name == name))
    before = {"query": segment.query} if segment is not None else None
    if segment is None:
        segment = Segment(name=name, query=words, user_id=actor.user_id, created_at=utcnow())
        session.add(segment)
    segment.query = words
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="segment", entity="segment",
                 entity_id=segment.id, before=before, after={"name": name, "query": words})
    return segment


async def all_segments(session: AsyncSession) -> list[Segment]:
    return list(await session.scalars(select(Segment).order_by(Segment.name)))


async def load_segment(session: AsyncSession, segment_id: int) -> Segment:
    segment = await session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(N_("That segment is gone."))
    return segment


async def delete_segment(session: AsyncSession, actor: Actor, segment_id: int) -> str:
    segment = await load_segment(session, segment_id)
    await session.delete(segment)
    audit.record(session, actor_id=actor.user_id, action="segment_delete", entity="segment",
                 entity_id=segment_id, before={"name": segment.name, "query": segment.query})
    return segment.name


async def expand(session: AsyncSession, words: str) -> str:
    """`seg:NAME` replaced by the segment's filter words; an unknown name is refused."""
    names = _REFERENCE.findall(words)
    if not names:
        return words
    found = {s.name: s.query for s in await session.scalars(
        select(Segment).where(Segment.name.in_(names)))}
    for name in names:
        if name not in found:
            raise NotFound(N_("There is no segment “{name}”. /segments lists them."),
                           name=name[:64])
    return _REFERENCE.sub(lambda m: found[m.group(1)], words)

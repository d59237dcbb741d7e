"""The inbox: Telegram's updates kept from arrival until handled (DESIGN decision 12).

An update is stored before Telegram is told it arrived (long polling: before the next
offset confirms it; webhook: before the 200), handled from here, and marked done in the
same transaction as its effects. The marking rides on the unit of work: while an update
is being handled (`handling`), the first unit of work that writes anything also sets the
update's `done_at` before it commits (`Database.unit_of_work` calls `settle_current`), so
a crash leaves both or neither. Handling that writes nothing (a lookup) is marked done when
it has finished. At start, what is not done is handled first, in order; an update Telegram
sends again (stored, but its offset not yet confirmed when the process died) is found here
and not handled a second time.

The answers to an update are sent after the commit that holds its effects, so that no
transaction stays open across a Bot API call. So that a crash between the two loses no
answer, the answers go into that same commit (`answers`, an outbox) and are cleared once
sent; at start, answers left in done rows are sent first. What a crash can still cost is
said in docs/decisions.md: an update handled again may answer twice, and the step after
a save is written just after the save's commit (bot/process/persistence.py writes a step that
saved nothing else together with its done mark).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import InboxUpdate

# Telegram keeps an unconfirmed update for 24 hours; a done row is kept as long, so a
# resent one is recognised.
KEEP_DONE = timedelta(days=1)


@dataclass(frozen=True)
class Arrival:
    update_id: int
    chat_key: int  # updates with the same key are handled in order
    payload: dict[str, Any]


@dataclass
class Handling:
    """The update the current task is handling; `settled` once its done mark committed.
    `outbox` gives the answers held so far, kept with the done mark (`answers_kept`)."""

    update_id: int
    settled: bool = False
    outbox: Callable[[], list[dict[str, Any]]] | None = None
    answers_kept: bool = False
    connection_lost: bool = False  # the database went away under it: handle it again


handling: ContextVar[Handling | None] = ContextVar("handling", default=None)


async def store(connection: AsyncConnection, arrivals: Sequence[Arrival], now: datetime
                ) -> set[int]:
    """Stores what is not stored yet; returns the ids that are new."""
    if not arrivals:
        return set()
    dialect = connection.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(InboxUpdate)
        .values([{"update_id": a.update_id, "chat_key": a.chat_key, "payload": a.payload,
                  "received_at": now} for a in arrivals])
        .on_conflict_do_nothing(index_elements=[InboxUpdate.update_id])
        .returning(InboxUpdate.update_id)
    )
    return set(await connection.scalars(statement))


async def pending(session: AsyncSession) -> list[InboxUpdate]:
    """What is not done yet, in the order Telegram numbered it."""
    rows = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.done_at.is_(None))
        .order_by(InboxUpdate.update_id))
    return list(rows)


async def newest_id(session: AsyncSession) -> int | None:
    newest: int | None = await session.scalar(select(func.max(InboxUpdate.update_id)))
    return newest


async def settle(session: AsyncSession | AsyncConnection, update_ids: Sequence[int],
                 now: datetime, answers: list[dict[str, Any]] | None = None) -> None:
    """Marks updates done in one statement: one with the answers its commit keeps, or many
    that wrote nothing (bot/process/processing.py commits those together)."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(update_ids), InboxUpdate.done_at.is_(None))
        .values(done_at=now, answers=answers or None))


async def settle_current(session: AsyncSession, now: datetime) -> Handling | None:
    """Inside a unit of work that wrote: marks the update being handled done with it, and
    keeps the answers held so far."""
    current = handling.get()
    if current is None or current.settled:
        return None
    answers = current.outbox() if current.outbox is not None else []
    await settle(session, [current.update_id], now, answers)
    current.answers_kept = bool(answers)
    return current


async def unsent_answers(session: AsyncSession) -> list[InboxUpdate]:
    """Done rows whose answers had not gone out when the process stopped, in order."""
    rows = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.done_at.is_not(None),
                                  InboxUpdate.answers.is_not(None))
        .order_by(InboxUpdate.update_id))
    return list(rows)


async def answers_sent(session: AsyncSession, update_id: int) -> None:
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(answers=None))


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(InboxUpdate).where(InboxUpdate.done_at < now - KEEP_DONE))
    return int(getattr(result, "rowcount", 0) or 0)

"""Done marks of updates that wrote nothing are committed together (bot/process/processing.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from bot.process.processing import DoneMarks
from storage import inbox
from storage.clock import utcnow
from storage.database import Database
from storage.models import InboxUpdate


async def _stored(db: Database, count: int) -> list[int]:
    ids = list(range(1, count + 1))
    async with db.statements() as connection:
        await inbox.store(connection, [inbox.Arrival(i, 1000 + i, {"update_id": i})
                                       for i in ids], utcnow())
    return ids


async def _undone(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None)))
            or 0)


async def test_fifty_updates_finishing_together_are_marked_in_a_few_commits(
    db: Database,
) -> None:
    ids = await _stored(db, 50)
    marks = DoneMarks(db)
    updates_run: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE INBOX"):
            updates_run.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    await asyncio.gather(*(marks.mark(i) for i in ids))
    assert await _undone(db) == 0  # every waiter returned after its own mark committed
    assert 1 <= len(updates_run) <= 3  # the first alone, the 49 that came meanwhile after


async def test_a_lone_mark_is_committed_before_it_returns(db: Database) -> None:
    [only] = await _stored(db, 1)
    await DoneMarks(db).mark(only)
    assert await _undone(db) == 0


async def test_a_failed_commit_reaches_every_waiter_and_the_next_mark_tries_again(
    db: Database, tmp_path: Path,
) -> None:
    ids = await _stored(db, 3)
    broken = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/folder/inbox.db")
    marks = DoneMarks(broken)
    results = await asyncio.gather(*(marks.mark(i) for i in ids), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)  # none left hanging
    await broken.dispose()
    assert await _undone(db) == 3  # not done: handled again after the next start
    marks.database = db
    await marks.mark(ids[0])
    assert await _undone(db) == 2


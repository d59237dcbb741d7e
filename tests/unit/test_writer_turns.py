"""SQLite writers of one process take turns (storage/database.py, WriterTurns)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage import botstate
from storage.database import BULK_CACHE_KIB, Database, bulk_page_cache
from storage.models import BotState
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's one writer; PostgreSQL locks rows")


async def test_a_writer_waits_its_turn_and_a_reader_does_not(db: Database) -> None:
    first_wrote, let_go = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with db.unit_of_work() as session:
            await botstate.save(session, "t", "a", {"n": 1})
            await session.flush()
            first_wrote.set()
            await let_go.wait()  # holds its transaction, and the turn, open
        order.append("first")

    async def second() -> None:
        await first_wrote.wait()
        async with db.unit_of_work() as session:
            await botstate.save(session, "t", "b", {"n": 2})
        order.append("second")

    tasks = [asyncio.ensure_future(first()), asyncio.ensure_future(second())]
    await first_wrote.wait()
    async with db.unit_of_work() as session:  # a lookup meanwhile: no turn needed
        assert await session.scalar(select(func.count()).select_from(BotState)) == 0
    await asyncio.sleep(0)
    assert order == []  # the second is waiting for the turn, not failing
    let_go.set()
    await asyncio.gather(*tasks)
    assert order == ["first", "second"]
    async with db.unit_of_work() as session:
        assert sorted(await botstate.load_all(session, "t")) == ["a", "b"]


async def test_a_write_nested_inside_a_writing_unit_of_work_is_refused_not_hung(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError, match="write in the outer one"):
        async with db.unit_of_work() as outer:
            await botstate.save(outer, "t", "a", {"n": 1})
            await outer.flush()
            async with db.unit_of_work() as inner:
                await botstate.save(inner, "t", "b", {"n": 2})
    async with db.unit_of_work() as session:  # nothing half-written, the turn given back
        assert await botstate.load_all(session, "t") == {}
        await botstate.save(session, "t", "c", {"n": 3})


async def test_a_bulk_transaction_borrows_a_large_page_cache_and_gives_it_back(
        db: Database) -> None:
    async def cache_size(session: AsyncSession) -> int:
        return int(await session.scalar(text("PRAGMA cache_size")) or 0)

    async with db.unit_of_work() as session:
        before = await cache_size(session)
        async with bulk_page_cache(session):
            assert await cache_size(session) == -BULK_CACHE_KIB
            await botstate.save(session, "t", "a", {"n": 1})
        assert await cache_size(session) == before == -2000
        with pytest.raises(ZeroDivisionError):
            async with bulk_page_cache(session):
                1 / 0  # noqa: B018
        assert await cache_size(session) == before
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(BotState)) == 1

"""The stale scan: once per silence, at most the daily number, safe with two scanners."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from storage import nudges
from storage.clock import utcnow
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.models import Customer, Reminder
from tests.conftest import make_member

RULE = nudges.StaleRule(per_day=1000, batched=True)


async def seed_quiet(db: Database, count: int) -> None:
    rep = await make_member(db, 555, "Rep")
    async with db.unit_of_work() as session:
        for i in range(count):
            await create_customer(session, CustomerDraft(name=f"客户{i}"), rep,
                                  default_region="CN")
        await session.execute(update(Customer).values(quiet_since=utcnow() - timedelta(days=91)))


async def nudge_count(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(select(func.count(Reminder.id))) or 0)


async def test_a_second_scan_finds_nothing_new(db: Database) -> None:
    await seed_quiet(db, 40)
    async with db.unit_of_work() as session:
        assert await nudges.scan(session, utcnow(), RULE) == 40
    async with db.unit_of_work() as session:
        assert await nudges.scan(session, utcnow(), RULE) == 0
        stopped = await session.scalar(
            select(func.count(Customer.id)).where(Customer.quiet_since.is_(None)))
    assert stopped == 40


async def test_two_scanners_at_once_nudge_each_customer_once(
    db: Database, database_url: str
) -> None:
    await seed_quiet(db, 60)
    other = Database(database_url)

    async def scan_with(database: Database) -> int:
        async with database.unit_of_work() as session:
            return await nudges.scan(session, utcnow(), RULE)

    try:
        created = await asyncio.gather(scan_with(db), scan_with(other), return_exceptions=True)
    finally:
        await other.dispose()
    # SQLite lets one writer through (the other fails on the lock and rolls back, to try
    # again at its next scan); PostgreSQL re-checks each clock under its row lock.
    assert sum(c for c in created if isinstance(c, int)) == 60
    assert await nudge_count(db) == 60
    async with db.unit_of_work() as session:
        per_customer = await session.execute(
            select(Reminder.customer_id, func.count()).group_by(Reminder.customer_id)
            .having(func.count() > 1))
        assert per_customer.all() == []

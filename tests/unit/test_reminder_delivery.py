"""The reminder sweep against a strict fake Bot API: once, on time, and nothing lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from telegram import Bot

from bot.process.transports.fakeapi import FakeBotApi
from bot.process.transports.inprocess import InProcessRequest
from bot.runtime.config import ReminderSettings
from scheduler.reminders import ReminderDispatcher
from storage.clock import utcnow
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.models import Reminder, User
from storage.reminders import claim_due, schedule_followup
from storage.users import Actor
from tests.conftest import make_member

TELEGRAM_ID = 555


async def seed(db: Database, count: int, *, minutes_ahead: int = 1) -> Actor:
    rep = await make_member(db, TELEGRAM_ID, "Rep")
    async with db.unit_of_work() as session:
        customer = await create_customer(session, CustomerDraft(name="王小明"), rep,
                                         default_region="CN")
        for i in range(count):
            await schedule_followup(session, rep, customer.id,
                                    utcnow() + timedelta(minutes=minutes_ahead), f"#{i:04d}")
    return rep


@pytest.fixture
def api() -> FakeBotApi:
    """The fake Bot API, to which the rep has already written (so the chat exists)."""
    fake = FakeBotApi()
    fake.user(TELEGRAM_ID, "Rep")
    return fake


def dispatcher(db: Database, api: FakeBotApi, **settings: float) -> ReminderDispatcher:
    bot = Bot("1:test", request=InProcessRequest(api))
    settings.setdefault("digest_hour", -1)  # follow-ups only; digests have their own test
    return ReminderDispatcher(db, bot, ReminderSettings(**settings))  # type: ignore[arg-type]


async def rows(db: Database) -> list[Reminder]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(Reminder).order_by(Reminder.id)))


def texts(api: FakeBotApi) -> list[str]:
    return [m.text for m in api.chat(TELEGRAM_ID)]


async def test_two_dispatchers_on_one_database_send_each_reminder_once(
    db: Database, api: FakeBotApi, database_url: str, frozen_time: time_machine.Coordinates
) -> None:
    await seed(db, 300)
    frozen_time.shift(timedelta(minutes=2))
    # Two instances: each its own engine and connection pool, as two processes would have.
    other = Database(database_url)
    try:
        first, second = dispatcher(db, api, batch=25), dispatcher(other, api, batch=25)
        sent = await asyncio.gather(first.sweep(), second.sweep())
    finally:
        await other.dispose()
    assert sum(sent) == 300
    assert len(texts(api)) == 300
    for i in range(300):
        assert sum(f"“#{i:04d}”" in t for t in texts(api)) == 1
    assert {r.delivery for r in await rows(db)} == {"sent"}


async def test_nothing_is_sent_before_its_minute(
    db: Database, api: FakeBotApi, frozen_time: time_machine.Coordinates
) -> None:
    await seed(db, 3, minutes_ahead=10)
    sweeper = dispatcher(db, api)
    frozen_time.shift(timedelta(minutes=9, seconds=59))
    assert await sweeper.sweep() == 0
    frozen_time.shift(timedelta(seconds=2))
    assert await sweeper.sweep() == 3
    assert not any("Late" in t for t in texts(api))


async def test_429_waits_retry_after_and_5xx_backs_off(
    db: Database, api: FakeBotApi, frozen_time: time_machine.Coordinates
) -> None:
    await seed(db, 1)
    sweeper = dispatcher(db, api)
    frozen_time.shift(timedelta(minutes=1, seconds=1))
    api.fail_next("sendMessage", 429, retry_after=30)
    assert await sweeper.sweep() == 0
    [row] = await rows(db)
    assert row.delivery == "pending" and row.send_after is not None
    assert timedelta(seconds=29) <= row.send_after - utcnow() <= timedelta(seconds=31)

    frozen_time.shift(timedelta(seconds=31))
    api.fail_next("sendMessage", 502)
    assert await sweeper.sweep() == 0
    [row] = await rows(db)
    assert row.send_after is not None and row.send_after > utcnow()  # backing off
    frozen_time.shift(timedelta(minutes=1))
    assert await sweeper.sweep() == 1
    assert len(texts(api)) == 1


async def test_a_user_who_blocked_the_bot_is_marked_and_skipped(
    db: Database, api: FakeBotApi, frozen_time: time_machine.Coordinates
) -> None:
    await seed(db, 2)
    sweeper = dispatcher(db, api, batch=1)
    frozen_time.shift(timedelta(minutes=2))
    api.fail_next("sendMessage", 403)
    assert await sweeper.sweep() == 0
    assert [r.delivery for r in await rows(db)] == ["skipped", "skipped"]
    async with db.unit_of_work() as session:
        user = (await session.scalars(select(User).where(User.telegram_id == TELEGRAM_ID))).one()
        assert user.blocked_at is not None
    assert texts(api) == []


async def test_a_sender_that_died_holding_a_claim_is_taken_over_after_the_lease(
    db: Database, api: FakeBotApi, frozen_time: time_machine.Coordinates
) -> None:
    await seed(db, 1)
    frozen_time.shift(timedelta(minutes=2))
    async with db.unit_of_work() as session:  # a sender claims, then dies before sending
        claim = await claim_due(session, now=utcnow(), limit=10, lease=timedelta(minutes=5))
    assert len(claim.reminder_ids) == 1
    sweeper = dispatcher(db, api)
    assert await sweeper.sweep() == 0  # still leased
    frozen_time.shift(timedelta(minutes=5, seconds=1))
    assert await sweeper.sweep() == 1
    assert "Late" in texts(api)[0]

"""Reminder delivery and date understanding, with their targets (issue "Log a call").

- 10,000 reminders due at once, all delivered through our pacing (bot/process/pacing.py) against
  a fake Bot API that refuses more than 30 sends a second (429): achieved messages/s.
- The due-reminder query with 1,000,000 follow-up rows: p99 < 20 ms.
- Date understanding per message (median, p99), Chinese and English.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text
from telegram.ext import ExtBot

from bench.stats import percentile
from bot.process.pacing import ChatPacing
from bot.process.transports.fakeapi import FakeBotApi
from bot.process.transports.inprocess import InProcessRequest
from bot.runtime.config import ReminderSettings
from bot.understanding.dates import find_when
from scheduler.reminders import ReminderDispatcher
from storage.database import Database
from storage.models import Base, Customer, Reminder, User

BURST = int(os.environ.get("SALESBOT_BENCH_BURST", "10000"))
ROWS = int(os.environ.get("SALESBOT_BENCH_REMINDER_ROWS", "1000000"))
PHRASES = {
    "Chinese": ["和王总通话，要报价，下周五下午3点跟进", "明天下午三点半", "后天早上9点拜访",
                "月底前回复", "两周后再联系", "客户说下周三有空", "今晚8点微信", "下个月3号"],
    "English": ["met Acme's Li, wants a demo, follow up next Friday 3pm", "tomorrow 3pm",
                "call back in 2 weeks", "next Tuesday at 10:30", "remind me on Thursday",
                "demo on Dec 3 at 10am", "end of month", "called, no answer"],
}


async def _bulk(db: Database, table: type, rows: list[dict[str, object]]) -> None:
    async with db.unit_of_work() as session:
        for start in range(0, len(rows), 20000):
            await session.execute(insert(table), rows[start:start + 20000])


async def seed_members(db: Database, count: int, now: datetime) -> None:
    """Members 1..count (Telegram ids 10,001…) and one customer, 王小明, owned by member 1."""
    await _bulk(db, User, [{"id": i, "telegram_id": 10_000 + i, "display_name": f"Rep {i}",
                            "role": "rep", "language": "zh_CN" if i % 2 else "en",
                            "language_chosen": False, "timezone": "Asia/Shanghai",
                            "active": True, "created_at": now} for i in range(1, count + 1)])
    await _bulk(db, Customer, [{"id": 1, "name": "王小明", "name_pinyin": "wangxiaoming",
                                "name_initials": "wxm", "tier": "normal", "stage": "lead",
                                "owner_id": 1, "created_at": now, "updated_at": now,
                                "archived": False, "search_text": ""}])


async def seed_burst(db: Database, count: int) -> None:
    now = datetime.now(UTC)
    await seed_members(db, count, now)
    due = now - timedelta(seconds=1)
    await _bulk(db, Reminder, [{"kind": "followup", "customer_id": 1, "user_id": i,
                                "due_at": due, "send_after": due, "text": f"跟进 #{i}",
                                "status": "open", "delivery": "pending", "attempts": 0,
                                "late": False, "created_at": now}
                               for i in range(1, count + 1)])


async def bench_burst(db: Database, count: int) -> tuple[float, float, int]:
    api = FakeBotApi()
    for i in range(1, count + 1):
        api.user(10_000 + i, f"Rep {i}")
    api.enforce_flood_limits(overall=30, per_chat=1)
    bot = ExtBot("1:bench", request=InProcessRequest(api), rate_limiter=ChatPacing())
    await bot.initialize()
    dispatcher = ReminderDispatcher(db, bot, ReminderSettings(digest_hour=-1))
    started = time.perf_counter()
    while len(api.log) < count:
        await dispatcher.sweep()  # what the JobQueue would start every 30 s
    elapsed = time.perf_counter() - started
    await bot.shutdown()
    assert len(api.log) == count == len({m.chat_id for m in api.log}), "lost or doubled"
    return elapsed, count / elapsed, api.flood_refusals


async def seed_history(db: Database, rows: int) -> None:
    """A year of follow-ups: almost all sent or done, a few hundred due, some ahead."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    await seed_members(db, 1, now)
    batch: list[dict[str, object]] = []
    for i in range(rows):
        due = now + timedelta(minutes=rng.randint(-525_600, 20_000))
        pending = due > now or i % 2000 == 0
        batch.append({"kind": "followup", "customer_id": 1, "user_id": 1, "due_at": due,
                      "send_after": due if pending else None, "text": "",
                      "status": "open" if pending else "done",
                      "delivery": "pending" if pending else "sent", "attempts": 0,
                      "late": False, "created_at": now})
        if len(batch) == 100_000:
            await _bulk(db, Reminder, batch)
            batch = []
    await _bulk(db, Reminder, batch)
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("VACUUM ANALYZE reminders"))


async def bench_due_query(db: Database) -> tuple[float, float, int]:
    timings = []
    due_count = 0
    for _ in range(200):
        async with db.unit_of_work() as session:
            now = datetime.now(UTC)
            started = time.perf_counter()
            ids = list(await session.scalars(
                select(Reminder.id).where(Reminder.send_after <= now)
                .order_by(Reminder.send_after, Reminder.id).limit(100)))
            timings.append((time.perf_counter() - started) * 1000)
            due_count = len(ids)
    async with db.unit_of_work() as session:
        total = int(await session.scalar(select(func.count()).select_from(Reminder)) or 0)
    assert due_count > 0 and total >= ROWS
    return statistics.median(timings), percentile(timings, 99), total


def bench_dates() -> dict[str, tuple[float, float]]:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    results = {}
    for language, phrases in PHRASES.items():
        find_when(phrases[0], now)  # the first call compiles the patterns
        timings = []
        for _ in range(40):
            for phrase in phrases:
                started = time.perf_counter()
                find_when(phrase, now)
                timings.append((time.perf_counter() - started) * 1000)
        results[language] = (statistics.median(timings), percentile(timings, 99))
    return results


async def empty(db: Database) -> None:
    """The bench database is scratch: each measure starts from empty tables."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.unit_of_work() as session:
        if db.dialect == "postgresql":
            await session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await session.execute(text(f"DELETE FROM {name}"))


async def run(url: str, label: str) -> str:
    """`url` is a scratch database at the newest schema; its tables are emptied."""
    lines = [f"### Reminders and dates: {label}", ""]
    db = Database(url)
    await empty(db)
    await seed_burst(db, BURST)
    elapsed, rate, refusals = await bench_burst(db, BURST)
    await empty(db)
    started = time.perf_counter()
    await seed_history(db, ROWS)
    seeded = time.perf_counter() - started
    median, p99, total = await bench_due_query(db)
    await db.dispose()
    lines += [
        "| measure | result | target |", "|---|---|---|",
        f"| {BURST:,} reminders due at once, fake Bot API refusing >30 sends/s | all delivered "
        f"in {elapsed:.0f} s = {rate:.1f} messages/s, {refusals} answered 429 | ~30/s, "
        f"none lost |",
        f"| due-reminder query, {total:,} rows (seeded in {seeded:.0f} s) | median "
        f"{median:.2f} ms, p99 {p99:.2f} ms | p99 < 20 ms "
        f"({'met' if p99 < 20 else 'MISSED'}) |",
    ]
    for language, (d_median, d_p99) in bench_dates().items():
        lines.append(f"| date understanding, {language} message | median {d_median:.2f} ms, "
                     f"p99 {d_p99:.2f} ms | (reported) |")
    return "\n".join(lines)

"""The stale-record scan over 100,000 customers (issue "Clean, current and safe data").

Target: a scan finishes in under 2 s and is incremental (it does not rescan what it
already nudged). 100,000 customers of 50 members, tiers mixed, last contacts spread over
the past 200 days and confirmations over 400 days: most records are stale.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from bench.reminders import empty
from storage import nudges
from storage.database import Database
from storage.models import Customer, Reminder, User

CUSTOMERS = int(os.environ.get("SALESBOT_BENCH_CUSTOMERS", "100000"))
MEMBERS = 50


async def seed(db: Database, now: datetime) -> int:
    """Returns how many customers are past a clock at `now` (default rule)."""
    rng = random.Random(5)
    rule = nudges.StaleRule()
    async with db.unit_of_work() as session:
        await session.execute(insert(User), [
            {"id": i, "telegram_id": 20_000 + i, "display_name": f"Rep {i}", "role": "rep",
             "language": "en", "language_chosen": False, "timezone": "Asia/Shanghai",
             "active": True, "created_at": now} for i in range(1, MEMBERS + 1)])
    stale = 0
    rows = []
    for i in range(1, CUSTOMERS + 1):
        tier = rng.choice(("core", "important", "normal", "normal"))
        quiet = now - timedelta(days=rng.uniform(0, 200))
        unverified = now - timedelta(days=rng.uniform(0, 400))
        stale += (now - quiet > timedelta(days=rule.quiet_days(tier))
                  or now - unverified > timedelta(days=rule.unverified_days))
        rows.append({"id": i, "name": f"客户{i}", "tier": tier, "stage": "lead",
                     "owner_id": 1 + i % MEMBERS, "created_at": now, "updated_at": now,
                     "last_contact_at": quiet, "quiet_since": quiet,
                     "last_verified_at": unverified, "unverified_since": unverified,
                     "archived": False, "search_text": ""})
    for start in range(0, len(rows), 10_000):
        async with db.unit_of_work() as session:
            await session.execute(insert(Customer), rows[start:start + 10_000])
    return stale


async def timed_scan(db: Database, now: datetime, rule: nudges.StaleRule) -> tuple[float, int]:
    async with db.unit_of_work() as session:
        started = time.perf_counter()
        created = await nudges.scan(session, now, rule)
    return time.perf_counter() - started, created  # commit included


async def run(url: str, label: str) -> str:
    """`url` is a scratch database at the newest schema; its tables are emptied."""
    db = Database(url)
    await empty(db)
    now = datetime.now(UTC).replace(hour=2)  # 10:00 in Shanghai
    print(f"[{label}] stale scan: seeding {CUSTOMERS:,} customers …", flush=True)
    started = time.perf_counter()
    stale = await seed(db, now)
    seeded = time.perf_counter() - started
    rule = nudges.StaleRule(batched=False)
    first, first_n = await timed_scan(db, now, rule)
    again, again_n = await timed_scan(db, now + timedelta(minutes=15), rule)
    next_day, next_n = await timed_scan(db, now + timedelta(days=1), rule)
    flood = nudges.StaleRule(batched=False, per_day=100_000)
    uncapped, uncapped_n = await timed_scan(db, now + timedelta(days=1, minutes=15), flood)
    after, after_n = await timed_scan(db, now + timedelta(days=1, minutes=15, seconds=1), flood)
    async with db.unit_of_work() as session:
        total = int(await session.scalar(select(func.count()).select_from(Reminder)) or 0)
    await db.dispose()
    assert total == first_n + next_n + uncapped_n and again_n == 0 and after_n == 0

    def verdict(seconds: float) -> str:
        return f"< 2 s ({'met' if seconds < 2 else 'MISSED'})"

    return "\n".join([
        f"### Stale-record scan: {label}", "",
        f"{CUSTOMERS:,} customers of {MEMBERS} members (seeded in {seeded:.0f} s), "
        f"{stale:,} of them past a clock (quiet by tier 14/30/90 days, or unconfirmed "
        f"180 days). Each scan is one transaction, commit included.", "",
        "| scan | nudges created | time | target |", "|---|---|---|---|",
        f"| first scan, 5 a member a day | {first_n} | {first * 1000:.0f} ms | "
        f"{verdict(first)} |",
        f"| 15 min later (every member at today's cap) | {again_n} | {again * 1000:.0f} ms | "
        f"{verdict(again)} |",
        f"| the next day | {next_n} | {next_day * 1000:.0f} ms | {verdict(next_day)} |",
        f"| no daily cap: every stale record at once | {uncapped_n:,} | "
        f"{uncapped * 1000:.0f} ms | (reported) |",
        f"| right after that (nothing left to nudge) | {after_n} | {after * 1000:.0f} ms | "
        f"{verdict(after)} |",
    ])

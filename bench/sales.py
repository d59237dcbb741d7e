"""The manager's view at scale (issue "the manager's view").

Targets: customer value and churn recomputed for 100,000 customers with 1,000,000
purchases within 10 s, in one job that does not block the bot (a colleague's lookups
answered within a second meanwhile); one chart rendered and sent within 1 s, the first
one included; the bot's resident memory with charts loaded reported.

The recomputation is the bot's own job (`scheduler.value.recompute`: aggregates in the
database, scoring in a worker process) while lookups run every 50 ms on the same event
loop. The charts are measured in a fresh process (`python -m bench.sales chart URL`):
whole updates through the Application and the in-process fake Bot API, from the press of
a chart button to the photo the fake received.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psutil
from sqlalchemy import insert

from bench.reminders import empty
from bench.stale import CUSTOMERS, seed
from bench.stats import percentile
from storage.database import Database
from storage.models import Purchase

PURCHASES = CUSTOMERS * 10


async def seed_purchases(db: Database, now: datetime) -> None:
    """Ten purchases a customer on average over two years; some customers stopped."""
    rng = random.Random(11)
    rows: list[dict[str, Any]] = []
    for _ in range(PURCHASES):
        customer = 1 + rng.randrange(CUSTOMERS)
        stopped = customer % 7 == 0
        days = rng.uniform(120 if stopped else 0, 730)
        rows.append({"customer_id": customer, "user_id": 1, "product": "X1", "quantity": 1,
                     "amount_minor": rng.randrange(1_000, 5_000_000), "currency": "CNY",
                     "occurred_at": now - timedelta(days=days), "created_at": now})
        if len(rows) == 20_000:
            async with db.unit_of_work() as session:
                await session.execute(insert(Purchase), rows)
            rows = []


T = TypeVar("T")


async def lookups_meanwhile(db: Database, work: Awaitable[T]) -> tuple[list[float], T]:
    """`work` awaited while a colleague looks a customer up every 50 ms on the same
    event loop; the lookups' times in ms, and what `work` gave. (Imported here: the chart
    measure's fresh process must not carry the search's dictionaries.)"""
    from storage.search.lookup import search_customers
    from storage.users import Actor, Role

    colleague = Actor(1, 20_001, Role.ADMIN, "en", "Asia/Shanghai", "Rep 1", True)
    lookups: list[float] = []
    done = asyncio.Event()

    async def look_up() -> None:
        rng = random.Random(3)
        while not done.is_set():
            started = time.perf_counter()
            async with db.unit_of_work() as session:
                await search_customers(session, f"客户{rng.randrange(1, CUSTOMERS)}",
                                       colleague)
            lookups.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)

    looking = asyncio.create_task(look_up())
    try:
        result = await work
    finally:
        done.set()
        await looking
    return lookups, result


async def timed_recompute(db: Database, url: str) -> dict[str, Any]:
    from bot.runtime import workers
    from bot.runtime.config import SalesSettings
    from scheduler.value import recompute

    await workers.run(len, b"warm")  # the workers start with the bot's first import or job
    started = time.perf_counter()
    lookups, count = await lookups_meanwhile(db, recompute(db, SalesSettings()))
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "customers": count, "lookups": len(lookups),
            "p99": percentile(lookups, 99), "max": max(lookups)}


async def measure_chart(url: str) -> dict[str, Any]:
    """In a fresh process: /stats, then chart presses, each timed to the photo's arrival."""
    from telegram import Update

    from bot.process.app import build_application
    from bot.process.transports.fakeapi import FakeBotApi
    from bot.process.transports.inprocess import InProcessRequest
    from bot.runtime.config import load_settings

    settings = load_settings(None, env={"SALESBOT_DATABASE_URL": url})
    settings = settings.model_copy(update={"team": settings.team.model_copy(
        update={"admins": [20_001], "requests_per_minute": 100_000})})
    api = FakeBotApi()
    database = Database(url)
    app = build_application(settings, database, request=InProcessRequest(api),
                            rate_limit=False, schedule=False)
    me = psutil.Process()
    user = api.user(20_001, "Rep 1", "zh-hans")

    async def press(message: Any, data: str) -> float:
        api.user_presses(user, message, data, check=False)
        (update,) = api.take_pending()
        photos = len([m for m in api.log if m.photo])
        started = time.perf_counter()
        await app.process_update(Update.de_json(update, app.bot))
        assert len([m for m in api.log if m.photo]) == photos + 1, api.log[-1].text
        return time.perf_counter() - started

    async with app:
        await app.start()
        api.user_sends(user, "/start")
        for update in api.take_pending():
            await app.process_update(Update.de_json(update, app.bot))
        before = me.memory_info().rss / 2**20
        cold = await press(api.log[-1], "chart:region:365")  # no /stats first: all cold
        api.user_sends(user, "/stats")
        (update,) = api.take_pending()
        await app.process_update(Update.de_json(update, app.bot))
        menu = api.log[-1]
        warm_region = await press(menu, "chart:region:365")
        line = await press(menu, "chart:purchases:365")
        funnel_free = [await press(menu, "chart:tiers:365") for _ in range(3)]
        after = me.memory_info().rss / 2**20
        renderer = max((c.memory_info().rss / 2**20 for c in me.children(recursive=True)),
                       default=0.0)
        await app.stop()
    await database.dispose()
    return {"cold": cold, "region": warm_region, "line": line,
            "again": statistics.median(funnel_free), "rss_before": before, "rss_after": after,
            "renderer_rss": renderer}


async def run(url: str, label: str) -> str:
    db = Database(url)
    await empty(db)
    now = datetime.now(UTC)
    print(f"[{label}] sales: seeding {CUSTOMERS:,} customers and {PURCHASES:,} purchases …",
          flush=True)
    started = time.perf_counter()
    await seed(db, now)
    await seed_purchases(db, now)
    seeded = time.perf_counter() - started
    value = await timed_recompute(db, url)
    await db.dispose()
    # `-c`, not `-m`: a spawned process imports the parent's main module again, and the
    # bot's own (bot/__main__.py) imports nothing until its guard; the bench's would.
    out = (await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", f"import bench.sales; bench.sales.chart_main("
                         f"{url!r})"], check=True, capture_output=True, text=True)).stdout
    chart: dict[str, float] = json.loads(out.strip().splitlines()[-1])

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    return "\n".join([
        f"### The manager's view: {label}", "",
        f"{CUSTOMERS:,} customers, {PURCHASES:,} purchases over two years (seeded in "
        f"{seeded:.0f} s).", "",
        "| measure | result | target |", "|---|---|---|",
        f"| customer value (RFM) and churn for {value['customers']:,} customers who bought, "
        f"one job (aggregates in the database, scoring in a worker) | "
        f"{value['seconds']:.1f} s | ≤ 10 s ({verdict(value['seconds'] <= 10)}) |",
        f"| … a colleague's lookups meanwhile ({value['lookups']}, every 50 ms) | p99 "
        f"{value['p99']:.0f} ms, max {value['max']:.0f} ms | p99 < 1 s "
        f"({verdict(value['p99'] < 1000)}) |",
        f"| first chart with nothing loaded (chart process started, matplotlib and the font "
        f"loaded, regions counted, drawn, sent) | {chart['cold']:.2f} s | ≤ 1 s "
        f"({verdict(chart['cold'] <= 1)}) |",
        f"| first chart after /stats (the chart process loads while the menu is read; "
        f"pressed at once) | {chart['region']:.2f} s | ≤ 1 s "
        f"({verdict(chart['region'] <= 1)}) |",
        f"| purchases per month over {PURCHASES:,} purchases, drawn and sent | "
        f"{chart['line']:.2f} s | ≤ 1 s ({verdict(chart['line'] <= 1)}) |",
        f"| any later chart (tiers, median of 3) | {chart['again']:.2f} s | ≤ 1 s "
        f"({verdict(chart['again'] <= 1)}) |",
        f"| bot's resident memory before the first chart → after five | "
        f"{chart['rss_before']:.0f} MB → {chart['rss_after']:.0f} MB (the chart process: "
        f"{chart['renderer_rss']:.0f} MB) | (reported) |",
    ])


def chart_main(url: str) -> None:
    print(json.dumps(asyncio.run(measure_chart(url))))

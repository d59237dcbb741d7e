"""One add-flow step and inline queries timed through the in-process fake; prints JSON
figures and RSS."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

import psutil
from sqlalchemy import select
from telegram import Update

from bench.stats import percentile
from bot.process.app import build_application
from bot.process.transports.fakeapi import FakeBotApi, FakeUser
from bot.process.transports.inprocess import InProcessRequest
from bot.runtime.config import load_settings
from storage.database import Database
from storage.models import Customer


async def bench_flow_step(url: str) -> dict[str, float]:
    settings = load_settings(None, env={"SALESBOT_DATABASE_URL": url})
    settings = settings.model_copy(update={"team": settings.team.model_copy(
        update={"admins": [1]})})
    db = Database(url)
    api = FakeBotApi()
    person = api.user(1, "Bench")
    app = build_application(settings, db, request=InProcessRequest(api), rate_limit=False)
    timings: list[float] = []
    async with app:
        await app.start()
        for i in range(100):
            for text_in in ("/add", f"Bench Person {i}"):
                api.user_sends(person, text_in)
                (data,) = api.take_pending()
                update = Update.de_json(data, app.bot)
                started = time.perf_counter()
                await app.process_update(update)
                if text_in != "/add":
                    timings.append((time.perf_counter() - started) * 1000)
            api.user_sends(person, "/cancel")
            for data in api.take_pending():
                await app.process_update(Update.de_json(data, app.bot))
        rss = psutil.Process().memory_info().rss / 2**20  # before the inline queries
        inline = await time_inline_queries(app, api, person, db)
        rss_inline = psutil.Process().memory_info().rss / 2**20
        await app.stop()
    await db.dispose()
    return {"median": statistics.median(timings), "p99": percentile(timings, 99), "rss": rss,
            "inline_median": statistics.median(inline), "inline_p99": percentile(inline, 99),
            "rss_inline": rss_inline}


async def time_inline_queries(app: Any, api: FakeBotApi, person: FakeUser, db: Database
                              ) -> list[float]:
    """200 inline queries as members type them (a name, its initials, a company's first
    word, four phone digits, nothing), each answered with up to 20 cards."""
    async with db.unit_of_work() as session:
        rows = (await session.execute(
            select(Customer.name, Customer.company, Customer.name_initials)
            .order_by(Customer.id).limit(40))).all()
    queries = [""]
    for row in rows:
        queries += [row.name, row.name_initials, str(row.company).split()[0]]
    queries += [f"{i:04d}" for i in range(1000, 1000 + 200 - len(queries))]
    timings = []
    for query in queries[:200]:
        api.user_types_inline(person, query)
        (data,) = api.take_pending()
        update = Update.de_json(data, app.bot)
        started = time.perf_counter()
        await app.process_update(update)
        timings.append((time.perf_counter() - started) * 1000)
    return timings



if __name__ == "__main__":
    print(json.dumps(asyncio.run(bench_flow_step(sys.argv[1]))))

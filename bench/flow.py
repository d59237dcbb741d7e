"""One add-flow step timed through the in-process fake; prints JSON figures and RSS."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import psutil
from telegram import Update

from bench.stats import percentile
from bot.app import build_application
from bot.config import load_settings
from bot.transports.fakeapi import FakeBotApi
from bot.transports.inprocess import InProcessRequest
from storage.database import Database


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
        rss = psutil.Process().memory_info().rss / 2**20
        await app.stop()
    await db.dispose()
    return {"median": statistics.median(timings), "p99": percentile(timings, 99), "rss": rss}



if __name__ == "__main__":
    print(json.dumps(asyncio.run(bench_flow_step(sys.argv[1]))))

"""Riding through a database failover (issue 27), PostgreSQL only: `salesbot run` as a
child process over HTTP against the fake Bot API, no supervisor, no standby.

- Every connection of the bot cut (pg_terminate_backend) five times, each right after
  ten members sent a lookup: the time from the cut to the first answer and to the last.
  Target: the first answer within 5 s of the cut.
- The server refusing every connection for 20 s (a TCP relay between bot and server taken
  away), ten lookups sent meanwhile: the time from the server's return to the first
  answer and to the last. Target: within 5 s.
Every lookup must be answered exactly once and the process must still run.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.reminders import empty
from bot.process.transports.fakeapi import FakeBotApi
from storage.database import Database
from tests.e2e.dbproxy import DatabaseRelay
from tests.e2e.process import ADMIN, TOKEN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_failover_over_http import ask, cut_every_connection
from tests.e2e.test_instances_over_http import answers_to
from tests.harness import poll_until

MEMBERS = [ADMIN + number for number in range(10)]
CUTS = 5
OUTAGE_SECONDS = 20.0


async def _answered_after(api: FakeBotApi, queries: list[str], since: float
                          ) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    await poll_until(lambda: any(answers_to(api, q) for q in queries), timeout=60,
                     interval=0.01)
    first = loop.time() - since
    await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=60,
                     interval=0.01)
    return first, loop.time() - since


async def measure(url: str) -> dict[str, object]:
    """`url`: a scratch database at the newest schema; its tables are emptied (the fake
    numbers its updates from 1, and an inbox that knew them would skip them)."""
    database = Database(url)
    await empty(database)
    await database.dispose()
    api = FakeBotApi()
    server = BotApiServer(api, TOKEN)
    await server.start()
    parsed = make_url(url)
    relay = DatabaseRelay(parsed.host or "127.0.0.1", parsed.port or 5432)
    await relay.start()
    relayed = parsed.set(host="127.0.0.1", port=relay.port).render_as_string(
        hide_password=False)
    loop = asyncio.get_running_loop()
    people = [api.user(member, f"Rep {member}") for member in MEMBERS]
    asked: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            bot = BotProcess(write_config(Path(folder), server.url, relayed, admins=MEMBERS))
            await bot.start(api)
            try:
                asked += ask(api, people, "warm")
                await _answered_after(api, asked, loop.time())
                cuts = []
                for cut in range(CUTS):
                    published = sum(1 for m, _ in api.calls if m == "setMyCommands")
                    cut_at = loop.time()
                    await cut_every_connection(url)
                    asked += (queries := ask(api, people, f"cut{cut}"))
                    cuts.append(await _answered_after(api, queries, cut_at))
                    await poll_until(lambda published=published: sum(
                        1 for m, _ in api.calls if m == "setMyCommands") >= published + 2,
                        timeout=60)
                await relay.refuse()
                asked += (queries := ask(api, people, "outage"))
                await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself, not a wait on the bot
                back_at = loop.time()
                await relay.restore()
                outage = await _answered_after(api, queries, back_at)
                running = bot.process is not None and bot.process.returncode is None
            finally:
                await bot.stop()
    finally:
        await relay.stop()
        await server.stop()
    return {"cuts": cuts, "outage": outage, "running": running,
            "once": all(answers_to(api, q) == 1 for q in asked), "lookups": len(asked)}


async def run(url: str, label: str) -> str:
    figures = await measure(url)
    cuts: list[tuple[float, float]] = figures["cuts"]  # type: ignore[assignment]
    outage: tuple[float, float] = figures["outage"]  # type: ignore[assignment]
    firsts = [first for first, _ in cuts]
    worst = max(firsts)
    ok = "met" if worst <= 5 and figures["once"] and figures["running"] else "MISSED"
    back_ok = "met" if outage[0] <= 5 and figures["once"] and figures["running"] else "MISSED"
    return "\n".join([
        f"### Database failover: {label}", "",
        "`salesbot run` as a child process over HTTP against the fake Bot API, no supervisor "
        "and no standby, ten members (bench/failover.py).", "",
        "| measure | result | target |", "|---|---|---|",
        f"| every connection cut ({CUTS} times): cut to first answer | median "
        f"{statistics.median(firsts):.2f} s, worst {worst:.2f} s | ≤ 5 s ({ok}) |",
        f"| the same: cut to the tenth lookup answered | worst {max(t for _, t in cuts):.2f} s "
        "| (reported) |",
        f"| server away {OUTAGE_SECONDS:.0f} s: return to first answer / to the tenth | "
        f"{outage[0]:.2f} s / {outage[1]:.2f} s | ≤ 5 s ({back_ok}) |",
        f"| {figures['lookups']} lookups answered exactly once; the process still running | "
        f"{'yes' if figures['once'] else 'NO'}; {'yes' if figures['running'] else 'NO'} | "
        "yes; yes |",
    ])

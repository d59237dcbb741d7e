"""The database goes away under a running bot (issue 27): every connection cut, as a
failover, a restart or pg_terminate_backend does, or the server gone for 20 s. With no
supervisor, the same process answers again by itself; nothing is lost, nothing is done
twice. PostgreSQL only: SQLite has no server to lose."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.process.transports.fakeapi import FakeBotApi, FakeUser
from storage.database import Database
from storage.models import InboxUpdate
from tests.conftest import PG_URL
from tests.e2e.dbproxy import DatabaseRelay
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_instances_over_http import answers_to, count_rows, no_update_left
from tests.e2e.test_reminders_over_http import DEFAULT_LEASE, seed_due_reminders
from tests.harness import free_port, poll_until, poll_until_async

pytestmark = pytest.mark.skipif(not PG_URL, reason="a database server to lose: PostgreSQL "
                                "(SALESBOT_TEST_DATABASE_URL)")
MEMBERS = [ADMIN] + [6000 + i for i in range(9)]
WEBHOOK_SECRET = "failover-secret-0123"


async def cut_every_connection(database_url: str) -> int:
    """pg_terminate_backend on every session of the bot's database but this one."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            ended = (await session.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"))).all()
    finally:
        await database.dispose()
    return len(ended)


def around_traceback(said: str) -> str:
    at = said.find("Traceback")
    return said[max(0, at - 1500):at + 2500] if at >= 0 else said[-3000:]


def reminders_seen(api: FakeBotApi, count: int) -> list[int]:
    texts = [m.text for m in api.chat(ADMIN)]
    return [sum(f"reminder #{i:02d}" in t for t in texts) for i in range(count)]


@contextlib.asynccontextmanager
async def telegram_pushing(api: FakeBotApi, port: int) -> AsyncIterator[None]:
    """Telegram's side of a webhook: each update is posted until the bot answers 200
    (a refused connection or a 503 is tried again, as Telegram does)."""
    waiting: list[dict[str, Any]] = []

    async def push() -> None:
        async with aiohttp.ClientSession() as client:
            while True:
                waiting.extend(api.take_pending())
                while waiting:
                    try:
                        async with client.post(
                                f"http://127.0.0.1:{port}/telegram", json=waiting[0],
                                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                        ) as answer:
                            if answer.status != 200:
                                break
                    except aiohttp.ClientError:
                        break
                    waiting.pop(0)
                await asyncio.sleep(0.05)

    pusher = asyncio.ensure_future(push())
    try:
        yield
    finally:
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pusher


def transport_config(transport: str) -> tuple[str, int]:
    if transport == "polling":
        return "", 0
    port = free_port()
    return (f'mode = "webhook"\nwebhook_url = "https://bot.example.invalid/telegram"\n'
            f'webhook_port = {port}\nwebhook_secret = "{WEBHOOK_SECRET}"\n'), port


def ask(api: FakeBotApi, people: list[FakeUser], label: str) -> list[str]:
    queries = [f"{label}q{person.id}" for person in people]
    for person, query in zip(people, queries, strict=True):
        api.user_sends(person, query)
    return queries


@pytest.mark.parametrize("transport", ["polling", "webhook"])
async def test_connections_cut_three_times_every_lookup_and_reminder_once(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path,
    transport: str
) -> None:
    """The issue's done-when: three cuts within a minute, during ten members' lookups and
    a burst of 30 reminders; each lookup answered once, each reminder sent once, the
    process never exits."""
    api, http = server
    await seed_due_reminders(database_url, 30)
    telegram, port = transport_config(transport)
    bot = BotProcess(write_config(tmp_path, http.url, database_url, DEFAULT_LEASE,
                                  admins=MEMBERS, telegram=telegram))
    people = [api.user(member, f"Rep {member}") for member in MEMBERS]
    pushing = (telegram_pushing(api, port) if transport == "webhook"
               else contextlib.nullcontext())
    async with pushing:
        await bot.start(api)
        try:
            queries = ask(api, people, "before")
            await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=30)
            started = asyncio.get_running_loop().time()
            for cut in range(3):
                published = sum(1 for method, _ in api.calls if method == "setMyCommands")
                assert await cut_every_connection(database_url) >= 1
                after = ask(api, people, f"cut{cut}")
                queries += after
                await poll_until(lambda after=after: all(answers_to(api, q) for q in after),
                                 timeout=30)
                # active again (it registers its commands, as at any start) before the next
                await poll_until(lambda published=published: sum(
                    1 for method, _ in api.calls if method == "setMyCommands"
                ) >= published + 2, timeout=30)
            took = asyncio.get_running_loop().time() - started
            await poll_until(lambda: reminders_seen(api, 30) == [1] * 30, timeout=90)
            assert bot.process is not None and bot.process.returncode is None
        finally:
            stderr = await bot.stop()
            (tmp_path / "bot-stderr.txt").write_text(stderr)
    assert took < 60  # three cuts, each answered after, within a minute
    assert [answers_to(api, q) for q in queries] == [1] * len(queries)
    assert reminders_seen(api, 30) == [1] * 30
    assert await count_rows(database_url, InboxUpdate, InboxUpdate.done_at.is_(None)) == 0
    assert stderr.count("lost the database lock") == 3, stderr[-3000:]
    assert "Traceback" not in stderr, around_traceback(stderr)


async def test_with_a_standby_the_one_that_wins_the_lock_answers_and_the_other_waits(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    """The active one is frozen while its connections are cut: the standby wins the lock
    and answers; thawed, the old one finds its lock gone, stands by instead of exiting,
    and takes over again when the new one is stopped."""
    api, http = server
    active = BotProcess(write_config(tmp_path, http.url, database_url, admins=MEMBERS))
    standby = BotProcess(write_config(tmp_path, http.url, database_url, admins=MEMBERS,
                                      name="standby.toml"))
    people = [api.user(member, f"Rep {member}") for member in MEMBERS]
    await active.start(api)
    await standby.start(api, wait=False)
    try:
        queries = ask(api, people, "first")
        await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=30)
        # Frozen only once its answers are marked done: a process frozen between an answer
        # and its mark (a few ms) is a SIGKILL's case, where one repeat is the price
        # (test_instances_over_http.py); here the takeover itself is under test.
        await poll_until_async(lambda: no_update_left(database_url))
        assert active.process is not None and standby.process is not None
        published = sum(1 for method, _ in api.calls if method == "setMyCommands")
        os.kill(active.process.pid, signal.SIGSTOP)
        await cut_every_connection(database_url)
        await poll_until(lambda: sum(1 for method, _ in api.calls
                                     if method == "setMyCommands") >= published + 2, timeout=15)
        queries += (during := ask(api, people, "standby"))
        await poll_until(lambda: all(answers_to(api, q) for q in during), timeout=30)
        os.kill(active.process.pid, signal.SIGCONT)
        queries += (thawed := ask(api, people, "thawed"))
        await poll_until(lambda: all(answers_to(api, q) for q in thawed), timeout=30)
        assert active.process.returncode is None  # stood by, did not exit
        published = sum(1 for method, _ in api.calls if method == "setMyCommands")
        code, _, standby_said = await standby.terminate()
        assert code == 0
        await poll_until(lambda: sum(1 for method, _ in api.calls
                                     if method == "setMyCommands") >= published + 2, timeout=15)
        queries += (back := ask(api, people, "back"))
        await poll_until(lambda: all(answers_to(api, q) for q in back), timeout=30)
    finally:
        if active.process is not None and active.process.returncode is None:
            os.kill(active.process.pid, signal.SIGCONT)
        said = await active.stop()
        await standby.stop()
    assert [answers_to(api, q) for q in queries] == [1] * len(queries)
    assert "lost the database lock" in said and "Traceback" not in said, around_traceback(said)
    assert "Traceback" not in standby_said, around_traceback(standby_said)


async def test_a_20_second_outage_the_bot_waits_and_comes_back_by_itself(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    """The server refuses every connection for 20 s (a relay between bot and server is
    taken away). Members keep writing meanwhile; /healthz says why it is unhealthy; the
    log says the outage once and its length once; afterwards every message is answered
    once, by the same process."""
    api, http = server
    url = make_url(database_url)
    relay = DatabaseRelay(url.host or "127.0.0.1", url.port or 5432)
    await relay.start()
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    monitoring = free_port()
    bot = BotProcess(write_config(tmp_path, http.url, relayed,
                                  DEFAULT_LEASE + f"[monitoring]\nport = {monitoring}\n",
                                  admins=MEMBERS))
    people = [api.user(member, f"Rep {member}") for member in MEMBERS]
    await bot.start(api)
    try:
        queries = ask(api, people, "before")
        await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=30)
        await relay.refuse()
        loop = asyncio.get_running_loop()
        away_until = loop.time() + 20
        queries += ask(api, people, "during")
        health = await poll_until_async(lambda: _health(monitoring), timeout=15)
        assert health[0] == 503 and health[1]["database"] == "unreachable", health
        # The outage lasts its 20 s: a stimulus held, not a wait for the bot.
        await asyncio.sleep(max(0.0, away_until - loop.time()))
        assert not any(answers_to(api, q) for q in queries[len(people):])
        await relay.restore()
        await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=30)
        queries += (after := ask(api, people, "after"))
        await poll_until(lambda: all(answers_to(api, q) for q in after), timeout=30)
        assert bot.process is not None and bot.process.returncode is None
    finally:
        stderr = await bot.stop()
        await relay.stop()
        (tmp_path / "bot-stderr.txt").write_text(stderr)
    assert [answers_to(api, q) for q in queries] == [1] * len(queries)
    assert stderr.count("the database does not answer") == 1, stderr[-3000:]
    assert stderr.count("the database answers again, after") == 1, stderr[-3000:]
    assert "Traceback" not in stderr, around_traceback(stderr)


async def _health(port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        async with aiohttp.ClientSession() as client, client.get(
                f"http://127.0.0.1:{port}/healthz") as answer:
            body = await answer.json()
    except aiohttp.ClientError:
        return None
    return (answer.status, body) if body.get("database") == "unreachable" else None

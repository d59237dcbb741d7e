"""Every message answered, nobody kept waiting, an instance may die: `salesbot run` as a
child process against the HTTP fake, which paces like Telegram (one message a second to a
chat, 30 a second overall: more is refused with 429)."""

from __future__ import annotations

import os
import random
import signal
import string
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.process.transports.fakeapi import FakeBotApi, FakeUser
from storage.database import Database
from storage.models import Customer, InboxUpdate
from tests.conftest import PG_URL
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_reminders_over_http import DEFAULT_LEASE, count_sent, seed_due_reminders
from tests.harness import free_port, poll_until, poll_until_async

MEMBERS = [5000 + i for i in range(50)]
# Fifty names no two of which look alike to the duplicate check.
NAMES = ["".join(random.Random(i).choices(string.ascii_lowercase, k=7)).title()
         for i in range(50)]
NOT_FOUND = "Nothing found for “{query}”"


def answers_to(api: FakeBotApi, query: str) -> int:
    return sum(NOT_FOUND.format(query=query) in m.text for m in api.log)


async def count_rows(database_url: str, model: type, *where: object) -> int:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return int(await session.scalar(select(func.count()).select_from(model)
                                             .where(*where)) or 0)
    finally:
        await database.dispose()


async def test_a_colleague_is_answered_while_one_member_sends_forty_messages(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    api.enforce_flood_limits(overall=30, per_chat=1)
    bot = BotProcess(write_config(tmp_path, http.url, database_url, admins=[ADMIN, 77]))
    await bot.start(api)
    try:
        alice, bob = api.user(ADMIN, "Alice"), api.user(77, "Bob")
        for i in range(40):
            api.user_sends(alice, f"burst{i:02d}")
        api.user_sends(bob, "colleague")
        await poll_until(lambda: answers_to(api, "colleague") == 1, timeout=30)
        # Alice's replies go out one a second (Telegram's limit for one chat); Bob's
        # came before most of hers, not after all 40.
        answered_before_bob = sum(answers_to(api, f"burst{i:02d}") for i in range(40))
        assert answered_before_bob < 10, answered_before_bob
        await poll_until(lambda: answers_to(api, "burst39") == 1, timeout=90)
        # Strictly in order within her chat.
        hers = [m.text for m in api.chat(ADMIN) if "burst" in m.text]
        assert hers == [m for i in range(40) for m in hers if f"burst{i:02d}" in m]
        assert [answers_to(api, f"burst{i:02d}") for i in range(40)] == [1] * 40
        assert api.flood_refusals == 0  # paced, not refused
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]


def send_backlog(api: FakeBotApi, people: list[FakeUser], per_person: int) -> list[str]:
    queries = []
    for round_ in range(per_person):
        for person in people:
            query = f"q{person.id}x{round_}"
            api.user_sends(person, query)
            queries.append(query)
    return queries


async def test_sigterm_with_a_backlog_exits_0_within_10_s_and_the_rest_follows(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    api.enforce_flood_limits(overall=30, per_chat=1)
    config = write_config(tmp_path, http.url, database_url, admins=MEMBERS)
    bot = BotProcess(config)
    await bot.start(api)
    people = [api.user(member, f"Rep {member}") for member in MEMBERS]
    queries = send_backlog(api, people, 4)  # 200 messages, about 7 s of replies at 30/s
    await poll_until(lambda: sum(answers_to(api, q) for q in queries) >= 20, timeout=30)
    code, taken, stderr = await bot.terminate()
    assert code == 0, stderr[-3000:]
    assert taken < 10, taken
    answered = sum(answers_to(api, q) > 0 for q in queries)
    assert answered < 200  # a backlog was really left
    stored = await count_rows(database_url, InboxUpdate, InboxUpdate.done_at.is_(None))
    assert stored > 0

    await bot.start(api)
    try:
        await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=60)
    finally:
        stderr = await bot.stop()
    twice = sum(answers_to(api, q) > 1 for q in queries)
    assert twice <= 64  # at most the updates begun when the stop came (the bound)
    assert await count_rows(database_url, InboxUpdate, InboxUpdate.done_at.is_(None)) == 0
    assert "Traceback" not in stderr, stderr[-3000:]


@pytest.mark.timeout(300)  # ten restarts of a real process, each a few seconds
async def test_killed_at_ten_moments_nothing_is_lost_or_done_twice(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    """50 members each add a customer (a message, then a press on its card) and look up
    two names, 200 updates in all; the bot is SIGKILLed ten times along the way."""
    api, http = server
    api.enforce_flood_limits(overall=30, per_chat=1)
    bot = BotProcess(write_config(tmp_path, http.url, database_url, admins=MEMBERS))
    await bot.start(api)
    people = [api.user(member, f"Rep {member}") for member in MEMBERS]
    kills = 0

    async def kill_when(reached: Callable[[], Awaitable[bool]]) -> None:
        nonlocal kills
        await poll_until_async(reached, timeout=60)
        await bot.kill()
        kills += 1
        await bot.start(api)

    async def answered(at_least: int) -> bool:
        return len(api.log) >= at_least

    async def saved(at_least: int) -> bool:
        return await count_rows(database_url, Customer) >= at_least

    try:
        for i, person in enumerate(people):
            api.user_sends(person, f"/add {NAMES[i]} 1390000{i:04d}")
        queries = send_backlog(api, people, 2)
        for moment in (10, 30, 55, 80, 105):
            await kill_when(lambda moment=moment: answered(moment))
        cards = {}
        for i, person in enumerate(people):
            cards[i] = await poll_until(lambda p=person: next(
                (m for m in api.chat(p.id) if "is this right?" in m.text), None), timeout=60)
        for i, person in enumerate(people):
            api.user_presses(person, cards[i], "add:save")
        for moment in (3, 12, 22, 32, 42):
            await kill_when(lambda moment=moment: saved(moment))
        await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=90)
        await poll_until_async(lambda: saved(50), timeout=90)
        await poll_until(lambda: all("Saved as" in card.text for card in cards.values()))
        await poll_until_async(lambda: no_update_left(database_url), timeout=30)
    finally:
        stderr = await bot.stop()
    assert kills == 10
    assert await count_rows(database_url, Customer) == 50  # each add saved once, none twice
    twice = sum(answers_to(api, q) > 1 for q in queries)
    cards_twice = sum(sum("is this right?" in m.text for m in api.chat(p.id)) > 1
                      for p in people)
    unconfirmed = sum("Saved as" not in card.text for card in cards.values())
    print(f"\nafter {kills} kills: {twice} of {len(queries)} lookups and {cards_twice} of 50 "
          f"cards answered twice")
    assert unconfirmed == 0  # every save's confirmation arrived, from the outbox if need be
    assert "Traceback" not in stderr, stderr[-3000:]


async def no_update_left(database_url: str) -> bool:
    return await count_rows(database_url, InboxUpdate, InboxUpdate.done_at.is_(None)) == 0


@pytest.mark.skipif(not PG_URL, reason="a standby needs PostgreSQL (SALESBOT_TEST_DATABASE_URL)")
async def test_a_standby_takes_over_within_15_s_when_the_active_one_is_killed(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    active = BotProcess(write_config(tmp_path, http.url, database_url, admins=MEMBERS))
    standby = BotProcess(write_config(tmp_path, http.url, database_url, admins=MEMBERS,
                                      name="standby.toml"))
    await active.start(api)
    await standby.start(api, wait=False)
    people = [api.user(member, f"Rep {member}") for member in MEMBERS[:20]]
    queries = send_backlog(api, people, 5)  # 100 lookups
    await poll_until(lambda: sum(answers_to(api, q) for q in queries) >= 10, timeout=30)
    published = sum(1 for method, _ in api.calls if method == "setMyCommands")
    killed_at = os.times().elapsed
    await active.kill()
    # The standby is up when it registers its commands, as any instance does at start.
    await poll_until(lambda: sum(1 for method, _ in api.calls
                                 if method == "setMyCommands") >= published + 2, timeout=15)
    took_over = os.times().elapsed - killed_at
    try:
        await poll_until(lambda: all(answers_to(api, q) for q in queries), timeout=60)
        api.user_sends(people[0], "after")
        await poll_until(lambda: answers_to(api, "after") == 1)
    finally:
        stderr = await standby.stop()
    assert took_over < 15
    twice = sum(answers_to(api, q) > 1 for q in queries)
    assert twice <= 20  # only updates begun by the killed one, at most one per chat
    assert await count_rows(database_url, InboxUpdate, InboxUpdate.done_at.is_(None)) == 0
    assert "Traceback" not in stderr, stderr[-3000:]


@pytest.mark.skipif(not PG_URL, reason="a standby needs PostgreSQL (SALESBOT_TEST_DATABASE_URL)")
async def test_the_standby_sends_the_reminders_the_killed_one_had_claimed(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    """30 reminders due; the active instance is killed while Telegram holds its 8th
    send. Each reminder arrives once, the last within 90 s of the kill, though the
    killed one had claimed them for the default 300 s lease."""
    api, http = server
    await seed_due_reminders(database_url, 30)
    api.user(ADMIN, "Alice")
    api.stall_after("sendMessage", 7)
    active = BotProcess(write_config(tmp_path, http.url, database_url, DEFAULT_LEASE))
    standby = BotProcess(write_config(tmp_path, http.url, database_url, DEFAULT_LEASE,
                                      name="standby.toml"))
    await active.start(api)
    await standby.start(api, wait=False)
    await poll_until(lambda: api.stalled >= 1)
    database = Database(database_url)
    await poll_until_async(lambda: count_sent(database, at_least=7))
    await database.dispose()
    await active.kill()
    killed_at = os.times().elapsed
    api.stall_after("sendMessage", 1000)
    try:
        await poll_until(lambda: len(api.chat(ADMIN)) >= 30, timeout=90)
        took = os.times().elapsed - killed_at
    finally:
        stderr = await standby.stop()
    texts = [m.text for m in api.chat(ADMIN)]
    assert [sum(f"reminder #{i:02d}" in text for text in texts) for i in range(30)] == [1] * 30
    assert took < 90
    assert "Traceback" not in stderr, stderr[-3000:]


@pytest.mark.skipif(bool(PG_URL), reason="the refusal is SQLite's; PostgreSQL stands by")
async def test_a_second_instance_on_sqlite_is_refused_with_one_clear_line(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    first = BotProcess(write_config(tmp_path, http.url, database_url))
    await first.start(api)
    second = BotProcess(write_config(tmp_path, http.url, database_url, name="second.toml"))
    try:
        await second.start(api, wait=False)
        assert second.process is not None
        _, stderr = await second.process.communicate()
        assert second.process.returncode == 1
        assert "another salesbot (pid " in stderr.decode()
        assert "is already running on" in stderr.decode()
        api.user_sends(api.user(ADMIN, "Alice"), "still")
        await poll_until(lambda: answers_to(api, "still") == 1)
    finally:
        assert first.process is not None
        first.process.send_signal(signal.SIGTERM)
        await first.stop()


async def test_webhook_needs_the_secret_and_stores_before_its_200(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    port, secret = free_port(), "s3cret-s3cret-s3cret"
    bot = BotProcess(write_config(tmp_path, http.url, database_url, telegram=(
        f'mode = "webhook"\nwebhook_url = "https://bot.example.invalid/telegram"\n'
        f'webhook_port = {port}\nwebhook_secret = "{secret}"\n')))
    await bot.start(api)
    try:
        await poll_until(lambda: any(
            method == "setWebhook" and params.get("secret_token") == secret
            for method, params in api.calls))
        alice = api.user(ADMIN, "Alice")
        api.user_sends(alice, "hooked")
        [update] = api.take_pending()
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with client.post(url, json=update, headers=headers) as refused:
                    assert refused.status == 403
            assert await count_rows(database_url, InboxUpdate) == 0
            good = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with client.post(url, data=b"{not json", headers=good) as bad:
                assert bad.status == 400
            async with client.post(url, json=update, headers=good) as accepted:
                assert accepted.status == 200
                # stored before the 200
                assert await count_rows(database_url, InboxUpdate) == 1
            async with client.post(url, json=update, headers=good) as again:
                assert again.status == 200  # Telegram resending: known, not handled twice
        await poll_until(lambda: answers_to(api, "hooked") == 1)
        await poll_until_async(lambda: no_update_left(database_url))
        assert answers_to(api, "hooked") == 1
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]

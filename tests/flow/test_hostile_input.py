"""Hostile input at every handler: random text, Unicode, commands and callback payloads from
a rep under the `own` policy. No crash, no unescaped HTML, nobody else's data changed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.process.transports.fakeapi import BotMessage
from storage.database import Database
from storage.models import AuditEntry, Customer, Interaction, Reminder, User
from tests.conftest import NOW
from tests.flow.conftest import ADMIN, Bot, join, settings_for
from tests.harness import Chat

MARK = "<i>zz</i>"  # valid HTML: shown as "<i>zz</i>" if escaped, as italics if not
COMMANDS = ["/add", "/find", "/log", "/remind", "/followups", "/tz", "/nudges", "/dupes",
            "/history", "/export", "/erase", "/backup", "/team", "/invite", "/lang", "/help",
            "/start", "/cancel", "/skip", "/file_1", "/file_999999", "/paid", "/receivables",
            "/buy"]
PREFIXES = ["c:1:", "c:2:", "c:1:f:", "c:1:owner:", "c:1:share:", "r:1:", "r:2:", "n:1:",
            "dm:2:", "dm:1:", "mu:", "tl:1:", "pv:erase:", "pv:export:", "tm:1:to:", "log:",
            "log:pick:", "add:", "add:merge:", "lang:", "pay:", "pay:pick:", "buy:", ""]
WORDS = ["open", "done", "1h", "cancel", "archive", "restore", "tier", "core", "phone",
         "snooze", "reviewed", "ok", "followup", "save", "date", "who", "1", "2", "0",
         "99999999999", "-1", "x", "1,1", "2,1", "off"]
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60).map(
        lambda t: t + " " + MARK),
    st.sampled_from(["王小明", "C-000001", "c1", "1381234", "李雷 打电话 明天下午3点跟进",
                     "called 王总 yesterday, next Friday 3pm", "&amp;<>\"'", "\u202e\u0000",
                     "a" * 5000, MARK]),
)
commands = st.tuples(st.sampled_from(COMMANDS), texts).map(lambda p: f"{p[0]} {p[1]}")
presses = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(WORDS), st.text(max_size=8)).map(
    lambda p: (p[0] + p[1] + p[2])[:64])
# Whole little stories too: add a customer named by hostile text and save it, then look
# it up and log against it, so that the text comes back in cards, lists and timelines.
stories = texts.map(lambda t: [("say", f"/add {t[:90]} 13800001111"), ("press", "add:save"),
                               ("press", "add:anyway"), ("say", t[:40] or "x"),
                               ("say", f"/log {t[:40]} 打电话 {t}"), ("press", "log:save")])
steps = st.one_of(texts.map(lambda t: [("say", t)]), commands.map(lambda t: [("say", t)]),
                  presses.map(lambda d: [("press", d)]), stories)
actions = st.lists(steps, min_size=1, max_size=5).map(
    lambda chunks: [step for chunk in chunks for step in chunk])


class World:
    """Alice (admin) owns 王小明 with a follow-up and a call; Bob is the hostile rep."""

    def __init__(self, database_url: str) -> None:
        self.runner = asyncio.Runner()
        self.database_url = database_url
        self.bot: Bot
        self.bob: Chat

    def start(self) -> None:
        self.runner.run(self._start())

    async def _start(self) -> None:
        database = Database(self.database_url)
        self.bot = Bot(settings_for(self.database_url, visibility="own"), database)
        await self.bot.app.initialize()
        await self.bot.app.start()
        alice = self.bot.chat(ADMIN, "Alice")
        await alice.press(await alice.say("/add 王小明 13812345678 ACME"), "Save")
        await alice.press(await alice.say("/log 王小明 打电话，明天下午3点跟进"), "Save")
        self.bob = await join(self.bot, 201, "Bob")
        await self.bob.press(await self.bob.say("/add 李雷 13900001111"), "Save")

    def others_data(self) -> Any:
        return self.runner.run(self._others_data())

    async def _others_data(self) -> Any:
        async with self.bot.database.unit_of_work() as session:
            alice = await session.scalar(select(User).where(User.telegram_id == ADMIN))
            assert alice is not None
            customers = [(c.id, c.name, c.company, c.tier, c.stage, c.archived, c.owner_id,
                          c.merged_into_id, sorted(p.value for p in c.contacts),
                          sorted(u.id for u in c.shared_with))
                         for c in await session.scalars(
                             select(Customer).where(Customer.owner_id == alice.id))]
            ids = [c[0] for c in customers]
            entries = [(e.id, e.summary, e.customer_id) for e in await session.scalars(
                select(Interaction).where(Interaction.customer_id.in_(ids)))]
            reminders = [(r.id, r.status, r.due_at, r.customer_id, r.user_id)
                         for r in await session.scalars(
                             select(Reminder).where(Reminder.user_id == alice.id))]
            users = [(u.id, u.role, u.active) for u in await session.scalars(select(User))]
            audited = [(a.id, a.action) for a in await session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "customer",
                                         AuditEntry.entity_id.in_(ids)))]
            return customers, entries, reminders, users, audited

    def act(self, steps: list[tuple[str, str]]) -> list[BotMessage]:
        return self.runner.run(self._act(steps))

    async def _act(self, steps: list[tuple[str, str]]) -> list[BotMessage]:
        seen: list[BotMessage] = []
        for kind, value in steps:
            if kind == "say":
                seen += await self.bob.send(value or ".")
            else:
                anchor = self.bob.inbox()[-1]
                seen += await self.bob.press_data(anchor, value)
        return seen

    def stop(self) -> None:
        async def _stop() -> None:
            await self.bot.app.stop()
            await self.bot.app.shutdown()
            await self.bot.database.dispose()

        self.runner.run(_stop())
        self.runner.close()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with time_machine.travel(NOW, tick=True):
        made = World(database_url)
        made.start()
        yield made
        made.stop()


def test_random_text_commands_and_buttons_break_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    before = world.others_data()
    caplog.set_level(logging.ERROR)

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(actions)
    def hostile(steps: list[tuple[str, str]]) -> None:
        for message in world.act(steps):
            assert "Something went wrong" not in message.text, (steps, message.text)
            if "zz" in message.html and "<i>zz</i>" not in message.html:
                assert "<i>zz</i>" in message.text or "zz</i>" not in message.text, steps
        failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not failures, (steps, failures[0].getMessage())
        assert world.others_data() == before, steps

    hostile()

"""Drives the whole Application through a FakeBotApi, in-process or over HTTP."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable
from contextlib import closing
from typing import Any

from telegram.ext import Application

from bot.process.transports.fakeapi import BotMessage, FakeBotApi, FakeUser
from bot.process.transports.inprocess import deliver_pending
from storage.backup import sqlite_file
from storage.encryption import connect, key_of


class Chat:
    """One user's chat with the bot in a flow test: send, press, read replies."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi,
                 person: FakeUser) -> None:
        self.app, self.api, self.person = app, api, person

    async def _deliver(self) -> list[BotMessage]:
        before = len(self.api.log)
        edits_before = {id(m): m.edits for m in self.api.log}
        await deliver_pending(self.app, self.api)
        new = [m for m in self.api.log[before:] if m.chat_id == self.person.id]
        edited = [m for m in self.api.log[:before]
                  if m.chat_id == self.person.id and m.edits != edits_before.get(id(m))]
        return edited + new

    async def send(self, text: str) -> list[BotMessage]:
        self.api.user_sends(self.person, text)
        return await self._deliver()

    async def say(self, text: str) -> BotMessage:
        """Sends text and returns the last message the bot sent or edited in answer."""
        replies = await self.send(text)
        assert replies, f"no reply to {text!r}"
        return replies[-1]

    async def reply(self, message: BotMessage, text: str) -> BotMessage:
        """Answers with Telegram's Reply to one of the bot's messages."""
        self.api.user_sends(self.person, text, reply_to=message.message_id)
        return (await self._deliver())[-1]

    async def reply_voice(self, message: BotMessage, content: bytes) -> BotMessage:
        self.api.user_sends_voice(self.person, content, reply_to=message.message_id)
        return (await self._deliver())[-1]

    async def press(self, message: BotMessage, label: str) -> BotMessage:
        self.api.user_presses(self.person, message, message.button_data(label))
        replies = await self._deliver()
        assert replies, f"no reply to pressing {label!r}"
        return replies[-1]

    async def press_data(self, message: BotMessage, data: str) -> list[BotMessage]:
        self.api.user_presses(self.person, message, data, check=False)
        return await self._deliver()

    async def share_contact(self, phone: str, first: str, last: str | None = None
                            ) -> BotMessage:
        self.api.user_shares_contact(self.person, phone, first, last)
        replies = await self._deliver()
        assert replies
        return replies[-1]

    async def send_file(self, name: str, content: bytes, mime: str) -> BotMessage:
        self.api.user_sends_document(self.person, name, content, mime)
        replies = await self._deliver()
        assert replies
        return replies[-1]

    def inbox(self) -> list[BotMessage]:
        """Everything the bot has sent to this chat so far, oldest first."""
        return [m for m in self.api.log if m.chat_id == self.person.id]

    def alerts(self) -> list[str]:
        return [str(a.get("text")) for a in self.api.answered.values() if a.get("text")]


async def poll_until(check: Callable[[], Any], *, timeout: float = 15.0,
                     interval: float = 0.05) -> Any:
    """Waits for `check()` to return something truthy, failing after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def poll_until_async(check: Callable[[], Awaitable[Any]], *, timeout: float = 15.0,
                           interval: float = 0.05) -> Any:
    """`poll_until` for a check that must await (a database query)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def every_table(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows, in order: what "identical" means for a restore."""
    path = sqlite_file(url)
    with closing(connect(path, key_of(url))) as db:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return {name: db.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
                for name in names}


# Ports for servers a test starts in a child process, below Linux's ephemeral range
# (32768-60999): a port the kernel handed to a probe could be handed again, before the
# child bound it, to any outgoing connection of the parallel test workers.
_TEST_PORTS = range(20_000, 32_000)


def free_port() -> int:
    for port in random.SystemRandom().sample(_TEST_PORTS, 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")

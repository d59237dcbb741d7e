"""Updates of one chat in order, of different chats side by side (DESIGN decision 12).

PTB's processor takes one of its slots (its semaphore, in a method it marks final) before
`do_process_update`; with a lock per chat inside, one member's 40 quick messages would
fill every slot while they wait for each other, and a colleague's lookup would queue
behind them. So PTB's semaphore is left unbounded and the bound is kept here, after the
chat's turn: an update waits for its chat first and only then for a slot, and a burst
holds one slot at a time.

Each update runs with `storage.inbox.handling` set, so the unit of work that writes its
effects also marks it done; an update that wrote nothing is marked done when it finished.
When the bot stops, updates not yet begun are not begun (`stop_starting`), and one cut
short is not marked: both are handled after the next start.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from storage import inbox
from storage.clock import utcnow
from storage.database import Database

UNBOUNDED = 1 << 30


def chat_key(update: object) -> int:
    """Updates with the same key are handled in order: a chat's, or else a person's."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, database: Database, max_concurrent_updates: int) -> None:
        super().__init__(UNBOUNDED)
        self.database = database
        self.slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._turns: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}
        self.starting = True

    def stop_starting(self) -> None:
        self.starting = False

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        turn = self._turns.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        arrived = time.monotonic()
        try:
            async with turn, self.slots:
                if self.starting:
                    await self._handle(update, coroutine)
                    metrics.UPDATES.labels(metrics.update_kind(update)).inc()
                    metrics.REPLY_SECONDS.observe(time.monotonic() - arrived)
        finally:
            if (asyncio.iscoroutine(coroutine)
                    and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED):
                coroutine.close()  # not begun: it stays stored for the next start
            self._queued[key] -= 1
            if not self._queued[key]:
                del self._queued[key], self._turns[key]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        current = inbox.Handling(update.update_id)
        token = inbox.handling.set(current)
        try:
            await coroutine
        finally:
            inbox.handling.reset(token)
        if not current.settled:
            async with self.database.statements() as connection:
                await inbox.settle(connection, update.update_id, utcnow())

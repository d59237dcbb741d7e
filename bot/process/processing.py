"""Updates of one chat in order, of different chats side by side (DESIGN decision 12).

PTB's processor takes one of its slots (its semaphore, in a method it marks final) before
`do_process_update`; with a lock per chat inside, one member's 40 quick messages would
fill every slot while they wait for each other, and a colleague's lookup would queue
behind them. So PTB's semaphore is left unbounded and the bound is kept here, after the
chat's turn: an update waits for its chat first and only then for a slot, and a burst
holds one slot at a time.

Each update runs with `storage.inbox.handling` set, so the unit of work that writes its
effects also marks it done; an update that wrote nothing is marked done when it finished,
and its chat's next update waits for that mark (`DoneMarks`).
When the bot stops, updates not yet begun are not begun (`stop_starting`), and one cut
short is not marked: both are handled after the next start.

When the database connection is lost under an update (issue 27), the member is not told
"something went wrong": the error handler marks it (`Handling.connection_lost`), and it is
handled once more at once, on a fresh connection; if that fails too it stays stored and is
handled after the instance is active again. A done mark that cannot be written after the
answer went out is owed (`settle_owed`), written before anything is handled again, so an
answered update is not answered twice.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.runtime import metrics
from storage import inbox
from storage.clock import utcnow
from storage.database import Database, is_disconnect

UNBOUNDED = 1 << 30
# Updates answered whose done mark the database did not take: this process settles them
# before it handles anything again (service._take_over).
_owed: set[int] = set()


async def settle_owed(database: Database) -> None:
    if not _owed:
        return
    owed = sorted(_owed)
    async with database.statements() as connection:
        await inbox.settle(connection, owed, utcnow())
    _owed.difference_update(owed)


def chat_key(update: object) -> int:
    """Updates with the same key are handled in order: a chat's, or else a person's."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0


class DoneMarks:
    """Group commit of the done marks of updates that wrote nothing (lookups, most button
    presses). One commit each cost 1.05 ms of SQLite's single writer (median, bench
    `updates`), and at 2,000 lookups from 200 members those commits were most of what an
    echo bot through the inbox did: 558 updates/s. Marks asked for while a commit is under
    way go together in the next one, so a lone mark waits for nothing more than before,
    and each update's turn still ends only when its own mark has committed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._writing: asyncio.Task[None] | None = None

    async def mark(self, update_id: int) -> None:
        done = self._waiting.get(update_id)
        if done is None:
            done = self._waiting[update_id] = asyncio.get_running_loop().create_future()
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write(), name="done-marks")
        await asyncio.shield(done)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            try:
                await self._settle(list(batch))
            except Exception as error:
                if is_disconnect(error):  # answered: owed, not handled again
                    _owed.update(batch)
                    for done in batch.values():
                        done.set_result(None)
                    continue
                for done in batch.values():  # each waiter's update is handled again later
                    done.set_exception(error)
            else:
                for done in batch.values():
                    done.set_result(None)

    async def _settle(self, update_ids: list[int]) -> None:
        for attempt in (1, 2):  # once more on a fresh connection if this one was lost
            try:
                async with self.database.statements() as connection:
                    await inbox.settle(connection, update_ids, utcnow())
                return
            except Exception as error:
                if attempt == 2 or not is_disconnect(error):
                    raise


async def _lost_connection_kept(handling: Awaitable[Any], current: inbox.Handling) -> None:
    """Handles; a lost connection past the handlers (the flow's state written after them)
    is noted as the error handler notes one inside them."""
    try:
        await handling
    except Exception as error:
        if not is_disconnect(error):
            raise
        current.connection_lost = True


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, database: Database, max_concurrent_updates: int) -> None:
        super().__init__(UNBOUNDED)
        self.database = database
        self.done_marks = DoneMarks(database)
        self.slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._turns: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}
        self.starting = True
        # The Application's own process_update, for an update handled once more after a
        # lost connection (set by build_application).
        self.handle_again: Callable[[object], Awaitable[None]] | None = None

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
            await _lost_connection_kept(coroutine, current)
            if current.connection_lost and self.handle_again is not None and self.starting:
                current.connection_lost = False
                await _lost_connection_kept(self.handle_again(update), current)
        finally:
            inbox.handling.reset(token)
        if current.connection_lost:
            return  # stored, not done: handled after the instance is active again
        if not current.settled:
            await self.done_marks.mark(update.update_id)

"""Where updates come in: stored first (storage/inbox.py), then queued for the Application.

Both transports hand what Telegram sent to `take` and acknowledge it only after `take`
returned: long polling confirms by asking for the next offset, the webhook by its 200.
At start `replay` queues what was stored and not done (a previous process's backlog)
before anything new; on stop `drop_queued` forgets what was queued but not started, which
stays stored and is handled after the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.process.processing import chat_key
from bot.runtime.answers import Answer, send_answer
from storage import inbox
from storage.clock import utcnow
from storage.database import Database

log = logging.getLogger(__name__)


class Intake:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], database: Database
                 ) -> None:
        self.app, self.database = app, database

    async def take(self, updates: Sequence[Update]) -> int:
        """Stores the updates not seen before and queues them; returns how many were new."""
        new = await self.store(updates)
        for update in updates:
            if update.update_id in new:
                await self.app.update_queue.put(update)
        return len(new)

    async def store(self, updates: Sequence[Update]) -> set[int]:
        """Stores the updates not seen before; returns their ids. On SQLite this waits
        for the writer in hand (an import's batch) to commit, as every write does."""
        arrivals = [inbox.Arrival(u.update_id, chat_key(u), u.to_dict()) for u in updates]
        async with self.database.statements() as connection:
            return await inbox.store(connection, arrivals, utcnow())

    async def replay(self) -> int:
        """First the answers a stopped process had committed but not sent, then the
        updates it had not finished."""
        async with self.database.unit_of_work() as session:
            unsent = await inbox.unsent_answers(session)
        for row in unsent:
            for answer in row.answers or []:
                try:
                    await send_answer(self.app.bot, Answer.from_dict(answer))
                except TelegramError as error:
                    log.warning("an answer to update %s not sent: %s", row.update_id, error)
            async with self.database.unit_of_work() as session:
                await inbox.answers_sent(session, row.update_id)
        if unsent:
            log.info("answers to %d updates sent after the restart", len(unsent))
        async with self.database.unit_of_work() as session:
            rows = await inbox.pending(session)
        for row in rows:
            await self.app.update_queue.put(Update.de_json(row.payload, self.app.bot))
        if rows:
            log.info("%d updates stored before the last stop are handled first", len(rows))
        return len(rows)

    async def next_offset(self) -> int | None:
        """Everything up to the newest stored update is confirmed to Telegram."""
        async with self.database.unit_of_work() as session:
            newest = await inbox.newest_id(session)
        return None if newest is None else newest + 1

    def drop_queued(self) -> int:
        queue, dropped = self.app.update_queue, 0
        while not queue.empty():
            queue.get_nowait()
            queue.task_done()
            dropped += 1
        return dropped

    async def prune(self) -> None:
        async with self.database.unit_of_work() as session:
            await inbox.prune(session, utcnow())

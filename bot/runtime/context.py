"""What every handler gets: the runtime, the acting member, translation, a unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.messages.i18n import Translate, translator
from bot.runtime.answers import Answer, send_answer
from bot.runtime.config import Settings
from storage import inbox
from storage.database import Database
from storage.users import Actor, language_from_telegram

RUNTIME = "runtime"

# Answers said while a unit of work is open, sent once it has committed (see
# BotContext.unit_of_work); None when no unit of work is open.
held_answers: ContextVar[list[Answer] | None] = ContextVar("held_answers", default=None)


@dataclass
class Runtime:
    settings: Settings
    database: Database


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """One per update; the access gate sets `actor` before any feature handler runs."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.actor: Actor | None = None
        self.telegram_language: str | None = None

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.application.bot_data[RUNTIME]
        return runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def member(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("the access gate did not run for this update")
        return self.actor

    @property
    def language(self) -> str:
        if self.actor is not None:
            return self.actor.language
        return language_from_telegram(self.telegram_language)

    @property
    def t(self) -> Translate:
        return translator(self.language)

    @asynccontextmanager
    async def unit_of_work(self, *, settles: bool = True) -> AsyncIterator[AsyncSession]:
        """The answers `say` gives inside are held until the commit, then sent in order:
        a transaction is never held open across a Bot API call (on SQLite, the one writer
        would keep every other member's writes, and the storing of new updates, waiting
        for that reply's pacing or a timeout: 'database is locked' after 5 s, seen in the
        e2e test of a timed-out edit), and a reply that cannot be sent never undoes what
        was saved. If this commit marks the update done, the answers are kept in it and
        cleared once sent (storage/inbox.py). Rolled back, the held answers are dropped:
        they described what did not happen."""
        database = self.runtime.database
        if held_answers.get() is not None:  # nested: the outer one sends
            async with database.unit_of_work(settles=settles) as session:
                yield session
            return
        held: list[Answer] = []
        token = held_answers.set(held)
        # The update this commit may mark done, which then keeps the answers with it.
        unsettled = inbox.handling.get()
        if unsettled is not None and unsettled.settled:
            unsettled = None
        if unsettled is not None:
            unsettled.outbox = lambda: [answer.as_dict() for answer in held]
        try:
            async with database.unit_of_work(settles=settles) as session:
                yield session
        finally:
            held_answers.reset(token)
            if unsettled is not None:
                unsettled.outbox = None
        for answer in held:
            await send_answer(self.bot, answer)
        if unsettled is not None and unsettled.answers_kept:
            async with database.unit_of_work() as session:
                await inbox.answers_sent(session, unsettled.update_id)

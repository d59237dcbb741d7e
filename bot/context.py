"""What every handler gets: the runtime, the acting member, translation, a unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import Translate, translator
from storage.database import Database
from storage.users import Actor, language_from_telegram

RUNTIME = "runtime"


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
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        async with self.runtime.database.unit_of_work() as session:
            yield session

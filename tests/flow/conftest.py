from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.process.app import build_application
from bot.process.transports.fakeapi import FakeBotApi
from bot.process.transports.inprocess import InProcessRequest
from bot.runtime.config import EmailSettings, Settings, load_settings
from scheduler.reminders import DISPATCHER, ReminderDispatcher
from storage.database import Database
from tests.harness import Chat, free_port
from webapp.server import MiniApp

ADMIN = 100


def settings_for(database_url: str, *, digest_hour: int = -1,
                 reminders: dict[str, Any] | None = None,
                 imports: dict[str, Any] | None = None,
                 telegram: dict[str, Any] | None = None,
                 speech: dict[str, Any] | None = None,
                 webapp: dict[str, Any] | None = None, email: dict[str, Any] | None = None,
                 **team: Any) -> Settings:
    """Digests are off unless a test asks: they would join every sweep's messages."""
    settings = load_settings(None, env={"SALESBOT_DATABASE_URL": database_url})
    database = make_url(database_url).database or ""
    backups = Path(database).parent / "backups" if database.endswith(".db") else Path(
        tempfile.gettempdir()) / "salesbot-test-backups"
    return settings.model_copy(update={
        "backup": settings.backup.model_copy(update={"folder": str(backups)}),
        "team": settings.team.model_copy(
            update={"admins": [ADMIN], "requests_per_minute": 10_000, **team}),
        "reminders": settings.reminders.model_copy(
            update={"digest_hour": digest_hour, **(reminders or {})}),
        "imports": settings.imports.model_copy(update=imports or {}),
        "telegram": settings.telegram.model_copy(update=telegram or {}),
        "speech": settings.speech.model_copy(update=speech or {}),
        "webapp": settings.webapp.model_copy(update=webapp or {}),
        "email": EmailSettings(**email) if email else settings.email,  # validated
    })


class Bot:
    """A running Application on a fake Bot API, with chats for any number of users."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings, self.database = settings, database
        self.api = FakeBotApi()
        self.app = build_application(settings, database, request=InProcessRequest(self.api),
                                     rate_limit=False, schedule=False)

    async def sweep(self) -> int:
        """One run of the reminder sweep the JobQueue would start on its timer."""
        dispatcher: ReminderDispatcher = self.app.bot_data[DISPATCHER]
        return await dispatcher.sweep()

    def chat(self, user_id: int, name: str = "User", language: str = "en") -> Chat:
        return Chat(self.app, self.api, self.api.user(user_id, name, language))


@pytest.fixture
async def make_bot(db: Database, database_url: str) -> AsyncIterator[Callable[..., Any]]:
    started: list[Bot] = []

    async def make(**options: Any) -> Bot:
        bot = Bot(settings_for(database_url, **options), db)
        await bot.app.initialize()
        if bot.app.post_init is not None:  # run_polling would call it; so do we
            await bot.app.post_init(bot.app)
        await bot.app.start()
        started.append(bot)
        return bot

    yield make
    for bot in started:
        if bot.app.running:
            await bot.app.stop()
            await bot.app.shutdown()


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> Bot:
    result: Bot = await make_bot()
    return result


async def join(bot: Bot, telegram_id: int, name: str, role: str = "rep",
               language: str = "en") -> Chat:
    """A new member: the admin sends /invite <role>, they open the link."""
    admin = bot.chat(ADMIN, "Alice")
    token = (await admin.say(f"/invite {role}")).text.split("?start=")[1].split()[0]
    member = bot.chat(telegram_id, name, language)
    await member.say(f"/start {token}")
    return member


PUBLIC_URL = "https://crm.example.com/app/"


@asynccontextmanager
async def pages_of(bot: Bot, *, bot_username: str | None = None) -> AsyncIterator[str]:
    """The bot's web server (the Mini App's: surveys, calendars, unsubscribes) on a free
    loopback port, as the active instance serves it; its base address."""
    port = free_port()
    pages = MiniApp(bot.database, bot.settings.model_copy(update={
        "webapp": bot.settings.webapp.model_copy(update={"port": port})}),
        bot_username=bot_username)
    await pages.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await pages.stop()

"""Builds the one Application every transport runs."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

import scheduler
from bot.config import Settings
from bot.context import RUNTIME, BotContext, Runtime
from bot.import_runner import RUNNER, ImportRunner
from bot.persistence import DatabasePersistence
from bot.transports.retrying import RetryingRequest
from handlers import register_all
from handlers.start import publish_commands
from scheduler import backups
from scheduler import value as value_job
from storage.database import Database

# The console and the tests need a syntactically valid token; Telegram never sees it.
OFFLINE_TOKEN = "1:offline"

# Conversations are per user, not per message, on purpose: a flow's buttons and its typed
# answers belong to one person's flow.
warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")


class SalesbotApplication(Application[Any, Any, Any, Any, Any, Any]):
    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        # Conversation state is written when each update is done, not once a minute,
        # so that a restart mid-flow loses nothing.
        if self.persistence is not None and isinstance(update, Update):
            await self.update_persistence()


def flood_control() -> AIORateLimiter:
    """Telegram allows about 30 messages a second. A bucket of 30 would let 30 go at once
    and 30 more within the same second; a bucket of one refilled 30 times a second never
    exceeds the limit in any one-second window (measured in bench/reminders.py)."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=3)


def build_application(
    settings: Settings,
    database: Database,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    schedule: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """`schedule=False` leaves the periodic sweeps off; tests then run them by hand."""
    builder = (
        ApplicationBuilder()
        .application_class(SalesbotApplication)
        .token(settings.telegram.token or OFFLINE_TOKEN)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .persistence(DatabasePersistence(database))
        .post_init(publish_commands)
    )
    base = settings.telegram.api_base_url.rstrip("/")
    if base:
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    # Answers and reminders go through the retrying request; getUpdates has its own.
    answers = request or HTTPXRequest(connection_pool_size=256)
    builder = builder.request(RetryingRequest(answers, settings.telegram.retry_seconds))
    if request is not None:
        builder = builder.get_updates_request(request)
    if rate_limit:
        builder = builder.rate_limiter(flood_control())  # type: ignore[arg-type]
    app = builder.build()
    app.bot_data[RUNTIME] = Runtime(settings=settings, database=database)
    runner = app.bot_data[RUNNER] = ImportRunner(app, database, settings)
    register_all(app)
    scheduler.register(app, database, settings.reminders, schedule=schedule,
                       currency=settings.sales.currency)
    if schedule:
        backups.register(app, settings)
        value_job.register(app, database, settings.sales)
        if app.job_queue is not None:  # imports a stopped bot left half-written go on
            app.job_queue.run_once(lambda _: runner.resume(), 0, name="resume-imports")
            app.job_queue.run_repeating(lambda _: runner.tidy(), interval=3600, first=60,
                                        name="tidy-imports")
    return app

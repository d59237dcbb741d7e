"""Builds the one Application every transport runs."""

from __future__ import annotations

import asyncio
import inspect
import logging
import warnings
from collections.abc import Awaitable, Generator
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

import scheduler
from bot.process.pacing import ChatPacing
from bot.process.persistence import DatabasePersistence
from bot.process.processing import ChatOrderedProcessor
from bot.process.transports.retrying import RetryingRequest
from bot.runtime.config import Settings
from bot.runtime.context import RUNTIME, BotContext, Runtime, held_answers
from bot.tables.import_runner import RUNNER, ImportRunner
from handlers import register_all
from handlers.start import publish_commands
from scheduler import backups
from scheduler import campaigns as campaign_sender
from scheduler import value as value_job
from storage import inbox
from storage.database import Database

log = logging.getLogger(__name__)

# The console and the tests need a syntactically valid token; Telegram never sees it.
OFFLINE_TOKEN = "1:offline"

# Conversations are per user, not per message, on purpose: a flow's buttons and its typed
# answers belong to one person's flow.
warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")


class SalesbotApplication(Application[Any, Any, Any, Any, Any, Any]):
    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        # A member's place in a flow is written when each of their updates is done, not
        # once a minute, so that a restart mid-flow loses nothing; in one transaction,
        # which marks the update done if nothing before did (bot/process/persistence.py).
        if isinstance(self.persistence, DatabasePersistence) and isinstance(update, Update):
            await self.update_persistence()
            user = update.effective_user
            await self.persistence.write_for(user.id if user is not None else None)

    def create_task(
        self,
        coroutine: Generator[asyncio.Future[object], None, Any] | Awaitable[Any],
        update: object = None,
        *,
        name: str | None = None,
    ) -> asyncio.Task[Any]:
        """Every update being handled and every background task (an import, an export) is
        a task made here; `drain` waits for them. A background task starts outside the
        update that made it: its answers are its own, not held for that update's unit of
        work (which may have sent its answers already), and its writes do not mark that
        update done."""
        if update is None and inspect.isawaitable(coroutine):
            coroutine = _detached(coroutine)
        task = super().create_task(coroutine, update, name=name)
        running: set[asyncio.Task[Any]] = self.__dict__.setdefault("running_tasks", set())
        running.add(task)
        task.add_done_callback(running.discard)
        return task

    async def drain(self, seconds: float) -> int:
        """Begins nothing more, lets what has begun finish for `seconds`, then cancels the
        rest (updates stay stored, imports resume, after the next start); returns how many
        were cut short."""
        if isinstance(self.update_processor, ChatOrderedProcessor):
            self.update_processor.stop_starting()
        running = {t for t in self.__dict__.get("running_tasks", ()) if not t.done()}
        dispatcher = self.bot_data.get(scheduler.DISPATCHER)
        if dispatcher is not None:
            running.add(asyncio.ensure_future(dispatcher.finished()))
        if self.job_queue is not None:
            self.job_queue.scheduler.pause()  # no new sweeps; the running one may finish
        pending: set[asyncio.Future[Any]] = set()
        if running:
            _, pending = await asyncio.wait(running, timeout=seconds)
        for task in pending:
            task.cancel()
        if dispatcher is not None:
            dispatcher.cut_short()
        if pending:
            await asyncio.wait(pending, timeout=1)
            log.info("%d updates or tasks cut short by the stop; they go on after the "
                     "next start", len(pending))
        if self.job_queue is not None:
            await self.job_queue.stop(wait=False)
        return len(pending)


async def _detached(coroutine: Awaitable[Any]) -> Any:
    inbox.handling.set(None)
    held_answers.set(None)
    return await coroutine


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
        builder = builder.rate_limiter(ChatPacing())
    processor = ChatOrderedProcessor(database, settings.telegram.concurrent_updates)
    builder = builder.concurrent_updates(processor)
    app = builder.build()
    processor.handle_again = app.process_update
    app.bot_data[RUNTIME] = Runtime(settings=settings, database=database)
    runner = app.bot_data[RUNNER] = ImportRunner(app, database, settings)
    register_all(app)
    scheduler.register(app, database, settings.reminders, schedule=schedule,
                       currency=settings.sales.currency)
    campaign_sender.register(app, database, settings, schedule=schedule)
    if schedule:
        backups.register(app, settings)
        value_job.register(app, database, settings.sales)
        if app.job_queue is not None:  # imports a stopped bot left half-written go on
            app.job_queue.run_once(lambda _: runner.resume(), 0, name="resume-imports")
            app.job_queue.run_repeating(lambda _: runner.tidy(), interval=3600, first=60,
                                        name="tidy-imports")
    return app

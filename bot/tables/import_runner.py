"""Runs confirmed imports in the background of the bot: batches written while the bot
keeps answering, one progress message edited at most every two seconds, the report and
its result file at the end; imports a stopped bot left half-written resume at start."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot.messages.i18n import Translate, translator
from bot.messages.imports import progress_text, report_keyboard, report_text
from bot.runtime.config import Settings
from bot.tables import importing
from storage.database import Database
from storage.imports import jobs, writer
from storage.imports.preview import RowOptions
from storage.models import ImportJob, User

log = logging.getLogger(__name__)
RUNNER = "import_runner"
EDIT_EVERY = 2.0  # seconds between two edits of the progress message


class _Progress:
    """The one progress message of an import, edited no more than every EDIT_EVERY s."""

    def __init__(self, bot: Bot, t: Translate, job: ImportJob, database: Database) -> None:
        self.bot, self.t, self.database = bot, t, database
        self.job_id, self.chat_id, self.file_name = job.id, job.chat_id, job.file_name
        self.message_id = job.progress_message_id
        self.started, self.first_done = time.monotonic(), job.next_row
        self.last_edit = 0.0

    async def begin(self, total: int) -> None:
        if self.chat_id is None or self.message_id is not None:
            return
        sent = await self.bot.send_message(self.chat_id, progress_text(
            self.t, self.file_name, self.first_done, total, None))
        self.message_id = sent.message_id
        async with self.database.unit_of_work() as session:
            job = await session.get(ImportJob, self.job_id)
            if job is not None:
                job.progress_message_id = sent.message_id

    async def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.message_id is None or self.chat_id is None or (
                now - self.last_edit < EDIT_EVERY and done < total):
            return
        self.last_edit = now
        rate = (done - self.first_done) / max(now - self.started, 1e-6)
        left = (total - done) / rate if rate > 0 else None
        try:
            await self.bot.edit_message_text(
                progress_text(self.t, self.file_name, done, total, left),
                chat_id=self.chat_id, message_id=self.message_id)
        except TelegramError as error:  # a lost edit is no reason to stop writing
            log.warning("progress edit failed: %s", error)


class ImportRunner:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], database: Database,
                 settings: Settings) -> None:
        self.app, self.database, self.settings = app, database, settings
        self.running: dict[int, asyncio.Task[None]] = {}

    def launch(self, job_id: int) -> None:
        if job_id in self.running and not self.running[job_id].done():
            return
        self.running[job_id] = self.app.create_task(self._run(job_id),
                                                    name=f"import-{job_id}")

    async def resume(self) -> None:
        """Imports left running by a stopped bot carry on from their last whole batch."""
        for job_id in await importing.running_jobs(self.database):
            log.info("resuming import #%s", job_id)
            self.launch(job_id)

    async def tidy(self) -> None:
        """Hourly: previews left for a day lose their files, and temporary copies no import
        needs go."""
        async with self.database.unit_of_work() as session:
            dropped = await jobs.drop_abandoned(session)
        if dropped:
            log.info("dropped %s abandoned import previews", dropped)
        copies = await importing.drop_stale_copies(self.database)
        if copies:
            log.info("removed %s temporary import folders left behind", copies)

    async def _run(self, job_id: int) -> None:
        async with self.database.unit_of_work() as session:
            job = await session.get(ImportJob, job_id)
            if job is None:
                return
            actor = await session.get(User, job.actor_id)
            language = actor.language if actor is not None else "en"
            t = translator(language)
            options = RowOptions(**job.settings["options"])
            total = job.total_rows
        progress = _Progress(self.app.bot, t, job, self.database)
        try:
            if total >= self.settings.imports.progress_from:
                await progress.begin(total)
            finished = await importing.write(self.database, job_id, options,
                                             batch=self.settings.imports.batch,
                                             progress=progress.update)
            if finished:
                await self._report(job, t, language)
        except Exception:
            log.exception("import #%s stopped; it resumes at the next start", job_id)
            if job.chat_id is not None:
                await self._tell(job.chat_id, "⚠️ " + t(
                    "The import of {file} stopped after its last whole batch; nothing half "
                    "was written. It carries on when the bot starts again.").format(
                        file=job.file_name))

    async def _report(self, job: ImportJob, t: Translate, language: str) -> None:
        async with self.database.unit_of_work() as session:
            counts = await writer.counts(session, job.id)
        if job.chat_id is None:
            return
        content, every = await importing.result_file(self.database, job.id, language)
        await self.app.bot.send_document(
            job.chat_id, content, filename=f"import-{job.id}-result.xlsx",
            caption=report_text(t, job.id, job.file_name, counts, every=every),
            reply_markup=report_keyboard(t, job.id))

    async def _tell(self, chat_id: int, text: str) -> None:
        try:
            await self.app.bot.send_message(chat_id, text)
        except (BadRequest, TelegramError):
            log.warning("could not tell chat %s about an import", chat_id)


def runner_of(app: Application[Any, Any, Any, Any, Any, Any]) -> ImportRunner:
    runner: ImportRunner = app.bot_data[RUNNER]
    return runner

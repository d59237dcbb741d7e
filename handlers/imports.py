"""Importing a table: upload -> columns -> preview -> Import -> report, and /imports.

Reading a sheet and checking its rows takes seconds for a large file, so every step that
does it runs as a background task that edits the import's message when done: the
handler returns at once and nobody's next message waits behind it. The steps of one
import run one at a time (a lock per import), in the order they were pressed.
"""

from __future__ import annotations

import asyncio
import operator
import re
from collections.abc import Awaitable, Callable
from functools import reduce
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.messages.imports import (
    field_keyboard,
    layout_keyboard,
    layout_text,
    preview_keyboard,
    preview_text,
)
from bot.messages.keyboards import button
from bot.runtime.context import BotContext
from bot.tables import importing
from bot.tables.import_runner import runner_of
from bot.tables.spreadsheets import TABLE_SUFFIXES
from handlers.common import acknowledge, failure_text, pressed, say
from storage.errors import N_, CrmError
from storage.imports import jobs, writer
from storage.imports.preview import Choice, Kind, RowOptions
from storage.models import ImportJob
from storage.users import ensure_manager

MB = 1024 * 1024
# The formats bot/tables/spreadsheets.py reads; a .vcf goes to the add flow first (customers.py).
SPREADSHEET = reduce(operator.or_, (filters.Document.FileExtension(suffix[1:])
                                    for suffix in TABLE_SUFFIXES if suffix != ".vcf"))
ACTION = re.compile(r"^im:(\d{1,9}):(col|set|sheet|map|pre|ch|go|cancel|undo|undo!)"
                    r"(?::([\w-]{1,20}))?(?::([\w-]{1,20}))?$")
Step = Callable[[ImportJob], Awaitable[tuple[str, InlineKeyboardMarkup | None]]]
_locks: dict[int, asyncio.Lock] = {}


def options_for(context: BotContext) -> RowOptions:
    settings = context.settings
    return RowOptions(default_region=settings.team.default_region,
                      timezone=context.member.timezone,
                      default_hour=settings.reminders.default_hour,
                      currency=settings.sales.currency)


async def upload(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    ensure_manager(context.member)
    document, t = message.document, context.t
    limit = context.settings.imports.max_mb
    if (document.file_size or 0) > limit * MB:
        await say(update, context, "⚠️ " + t(
            "This file is {size} MB; an import takes at most {limit} MB. Split it and send "
            "the parts.").format(size=f"{(document.file_size or 0) / MB:.1f}", limit=limit))
        return
    name = document.file_name or "import.xlsx"

    async def download() -> bytes:
        return bytes(await (await document.get_file()).download_as_bytearray())

    await start_import(update, context, name, download)


async def start_import(update: Update, context: BotContext, file_name: str,
                       content: Callable[[], Awaitable[bytes]]) -> None:
    """A new import: its message at once; the download (20 MB take seconds), the job and
    the column card in the background."""
    chat = update.effective_chat
    assert chat is not None
    t = context.t
    status = await context.bot.send_message(chat.id, "📥 " + t("Reading {file}…").format(
        file=escape(file_name)))

    async def receive() -> None:
        try:
            data = await content()
            async with context.unit_of_work() as session:
                job = await jobs.create_job(session, context.member, file_name, data,
                                                   chat_id=chat.id)
                jobs.change(job, options=options_for(context).__dict__)
                job_id = job.id
        except Exception as error:
            await context.bot.edit_message_text(failure_text(error, t, "import upload"),
                                                chat_id=chat.id, message_id=status.message_id)
            return
        _in_background(context, job_id, chat.id, status.message_id, _layout_step(context))

    context.application.create_task(receive(), update=None, name=f"import-upload-{chat.id}")


def _in_background(context: BotContext, job_id: int, chat_id: int, message_id: int,
                   step: Step) -> None:
    """Runs one step of an import off the update: it edits the import's message with what
    the step returns, or with the reason it failed."""
    t, database = context.t, context.runtime.database

    async def work() -> None:
        lock = _locks.setdefault(job_id, asyncio.Lock())
        async with lock:
            try:
                async with database.unit_of_work() as session:
                    job = await session.get(ImportJob, job_id)
                    assert job is not None
                text, markup = await step(job)
            except Exception as error:
                text, markup = failure_text(error, t, f"import #{job_id} step"), None
                if isinstance(error, CrmError):
                    await _give_up(context, job_id)
            try:
                await context.bot.edit_message_text(text, chat_id=chat_id,
                                                    message_id=message_id, reply_markup=markup)
            except BadRequest as error:
                if "not modified" not in str(error):
                    await context.bot.send_message(chat_id, text, reply_markup=markup)

    context.application.create_task(work(), update=None, name=f"import-step-{job_id}")


async def _give_up(context: BotContext, job_id: int) -> None:
    """A file that cannot be read is no import: it is cancelled, its bytes dropped."""
    async with context.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        if job is not None and job.status == "mapping" and not job.settings.get("header"):
            await jobs.cancel(session, job)
            importing.forget(job)


def _layout_step(context: BotContext) -> Step:
    t = context.t

    async def step(job: ImportJob) -> tuple[str, InlineKeyboardMarkup | None]:
        layout = await importing.layout_of(context.runtime.database, job)
        async with context.unit_of_work() as session:
            stored = await session.get(ImportJob, job.id)
            assert stored is not None
            importing.remember(stored, layout)
        return layout_text(t, job.file_name, layout), layout_keyboard(
            t, job.id, layout, app_url=context.settings.webapp.url)

    return step


def _preview_step(context: BotContext) -> Step:
    t = context.t

    async def step(job: ImportJob) -> tuple[str, InlineKeyboardMarkup | None]:
        layout = await importing.layout_of(context.runtime.database, job)
        if not layout.logs_only and "name" not in layout.mapping:
            return (layout_text(t, job.file_name, layout),
                    layout_keyboard(t, job.id, layout, app_url=context.settings.webapp.url))
        checked = await importing.check(context.runtime.database, job, importing.options_of(job))
        choices = importing.choices_of(job)
        return (preview_text(t, job.file_name, checked, choices),
                preview_keyboard(t, job.id, checked, choices))

    return step


def _confirm_step(context: BotContext) -> Step:
    t = context.t

    async def step(job: ImportJob) -> tuple[str, InlineKeyboardMarkup | None]:
        checked = await importing.check(context.runtime.database, job, importing.options_of(job))
        total = checked.total
        async with context.unit_of_work() as session:
            stored = await session.get(ImportJob, job.id)
            assert stored is not None
            jobs.start(stored, total)
        runner_of(context.application).launch(job.id)
        return "⏳ " + t("Importing {file}: {rows} rows. I will send the report when it "
                         "is done; you can go on meanwhile.").format(
            file=escape(job.file_name), rows=f"{total:,}"), None

    return step


async def on_button(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, ACTION)
    query = update.callback_query
    if match is None or query is None or query.message is None:
        return
    job_id, action = int(match.group(1)), match.group(2)
    first, second = match.group(3), match.group(4)
    t = context.t
    chat_id, message_id = query.message.chat.id, query.message.message_id
    async with context.unit_of_work() as session:
        job = await jobs.load_job(session, context.member, job_id)
        if action in ("undo", "undo!"):
            await acknowledge(update)
            await _undo(update, context, job, confirmed=action == "undo!")
            return
        if action == "cancel":
            await jobs.cancel(session, job)
            importing.forget(job)
            await acknowledge(update)
            await say(update, context, t("Cancelled. Nothing was imported."), edit=True)
            return
        jobs.ensure_mapping(job)
        if action == "col" and first is not None and first.isdigit():
            column = int(first)
            header = job.settings.get("header", [])
            await acknowledge(update)
            heading = header[column] if column < len(header) else ""
            await say(update, context, t("Which field is column {column} ({header})?").format(
                column=column + 1, header=escape(heading[:40])),
                field_keyboard(t, job.id, column, bool(job.settings.get("logs_only"))),
                edit=True)
            return
        step: Step
        if action == "set" and first is not None and first.isdigit() and second is not None:
            if int(first) >= len(job.settings.get("mapping", [])):
                await acknowledge(update)
                return
            importing.map_column(job, int(first), None if second == "-" else second)
            step = _layout_step(context)
        elif action == "sheet" and first is not None and first.isdigit():
            sheets = job.settings.get("sheets", [])
            chosen = sheets[int(first)] if int(first) < len(sheets) else None
            jobs.change(job, sheet=chosen, mapping=None)
            step = _layout_step(context)
        elif action == "map":
            step = _layout_step(context)
        elif action == "ch" and first in {k.value for k in Kind}:
            chosen = importing.choices_of(job)
            order = list(Choice)
            current = chosen[Kind(first)]
            chosen[Kind(first)] = order[(order.index(current) + 1) % len(order)]
            jobs.change(job, choices={k.value: v.value for k, v in chosen.items()})
            step = _preview_step(context)
        elif action == "pre":
            step = _preview_step(context)
        elif action == "go":
            step = _confirm_step(context)
        else:
            await acknowledge(update)
            return
    await acknowledge(update, t("Working on it…"))
    _in_background(context, job_id, chat_id, message_id, step)


async def _undo(update: Update, context: BotContext, job: ImportJob, *, confirmed: bool
                ) -> None:
    t = context.t
    if not confirmed:
        await say(update, context, "↩️ " + t(
            "Undo import #{number} of {file}? Records it created are deleted; records it "
            "filled get back what they had.").format(number=job.id, file=escape(
                job.file_name)), InlineKeyboardMarkup([[
                    button(t("Undo import"), f"im:{job.id}:undo!"),
                    button(t("Keep it"), f"im:{job.id}:map")]]))
        return
    async with context.unit_of_work() as session:
        result = await writer.undo_import(session, context.member, job.id)
    await say(update, context, "↩️ " + t(
        "Import #{number} is undone: {deleted} records deleted, {restored} restored.").format(
            number=job.id, **result), edit=True)


async def list_imports(update: Update, context: BotContext) -> None:
    t = context.t
    async with context.unit_of_work() as session:
        recent = await jobs.recent(session, context.member)
        lines = ["<b>" + t("Recent imports") + "</b>"]
        buttons = []
        for job in recent:
            counts = await writer.counts(session, job.id)
            lines.append(t("#{number} {file}, {date}: {status}; {created} created, {updated} "
                           "updated").format(
                number=job.id, file=escape(job.file_name),
                date=job.created_at.strftime("%Y-%m-%d"), status=t(STATUS_LABELS.get(
                    job.status, job.status)), created=counts.get("created", 0),
                updated=counts.get("updated", 0)))
            if job.status == "done":
                buttons.append(button(f"↩️ #{job.id}", f"im:{job.id}:undo"))
    if not recent:
        lines.append(t("No imports yet. Send an .xlsx, .xls, .ods or .csv file to start one."))
    await say(update, context, "\n".join(lines),
              InlineKeyboardMarkup([buttons[i:i + 4] for i in range(0, len(buttons), 4)])
              if buttons else None)


STATUS_LABELS = {"running": N_("running"), "done": N_("done"), "undone": N_("undone")}


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(MessageHandler(SPREADSHEET & filters.ChatType.PRIVATE & ~filters.REPLY,
                                   upload))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^im:"))
    app.add_handler(CommandHandler("imports", list_imports))

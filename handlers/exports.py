"""/export with filters: the customers a member may see as .xlsx (two sheets) or .csv.

`/export C-000123` stays the admins' export of everything about one customer (privacy).
The file is made in the background, like an import's steps, so nobody waits behind it.
"""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.runtime.context import BotContext
from bot.tables import exporting
from handlers import privacy
from handlers.common import failure_text, say
from storage.clock import utcnow
from storage.sales import segments
from storage.search.lookup import parse_code


async def export(update: Update, context: BotContext) -> None:
    words = context.args or []
    if words and parse_code(words[0]) is not None:
        await privacy.ask_export(update, context)
        return
    await start_export(update, context, " ".join(words))


async def start_export(update: Update, context: BotContext, words: str) -> None:
    """The export of what the filter words (`seg:NAME` among them) choose, made in the
    background."""
    async with context.unit_of_work() as session:
        words = await segments.expand(session, words)
    request = exporting.parse_request(words, ZoneInfo(context.member.timezone))
    chat = update.effective_chat
    assert chat is not None
    await say(update, context, "📤 " + context.t("Preparing the export…"))
    context.application.create_task(_send(context, chat.id, request), update=None,
                                    name=f"export-{chat.id}")


async def _send(context: BotContext, chat_id: int, request: exporting.ExportRequest) -> None:
    t, member, settings = context.t, context.member, context.settings
    try:
        content, customers, entries = await exporting.export_file(
            context.runtime.database, member, request.filters,
            region=settings.team.default_region, as_csv=request.csv)
    except Exception as error:
        await context.bot.send_message(chat_id, failure_text(error, t, "export"))
        return
    if not customers:
        await context.bot.send_message(chat_id, t("No customers match these filters."))
        return
    stamp = utcnow().astimezone(ZoneInfo(member.timezone)).strftime("%Y-%m-%d")
    suffix = "csv" if request.csv else "xlsx"
    shown = request.filters.as_json()
    await context.bot.send_document(
        chat_id, content, filename=f"customers-{stamp}.{suffix}",
        caption="📤 " + t("{customers} customers, {interactions} timeline entries.").format(
            customers=f"{customers:,}", interactions=f"{entries:,}") + (
            "\n" + escape(" ".join(f"{k}:{v}" for k, v in shown.items())) if shown else ""))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("export", export))

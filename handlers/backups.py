"""/backup: an admin gets a fresh backup of the database as a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.runtime import metrics
from bot.runtime.context import BotContext
from handlers.common import say
from storage import backup
from storage.encryption import key_of
from storage.users import ensure_admin

TELEGRAM_FILE_LIMIT = 50 * 1024 * 1024  # what a bot may upload


async def send_backup(update: Update, context: BotContext) -> None:
    ensure_admin(context.member)
    chat = update.effective_chat
    settings = context.settings
    try:
        made = await backup.back_up(settings.database.url, Path(settings.backup.folder),
                                    keep=settings.backup.keep, key=settings.backup.key)
    except backup.BackupError:
        await say(update, context, context.t(
            "This bot stores its data in PostgreSQL: back it up with pg_dump "
            "(see docs/operations.md)."))
        return
    metrics.BACKUPS.inc()
    if chat is None:
        return
    if made.stat().st_size > TELEGRAM_FILE_LIMIT:
        await say(update, context, context.t(
            "The backup is too big to send here; it is on the server: {path}").format(
                path=str(made)))
        return
    if settings.backup.key:
        note = context.t("Encrypted with the configured key.")
    elif key_of(settings.database.url):
        note = context.t("Encrypted with the database key (database.key).")
    else:
        note = context.t("Not encrypted: set backup.key to encrypt backups.")
    with made.open("rb") as handle:
        await context.bot.send_document(chat.id, handle, filename=made.name,
                                        caption="💾 " + note)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("backup", send_backup))

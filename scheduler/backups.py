"""The daily online backup of the SQLite database (PostgreSQL: pg_dump, not the bot)."""

from __future__ import annotations

import logging
from datetime import UTC, time
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.runtime import metrics
from bot.runtime.config import Settings
from storage import backup

log = logging.getLogger(__name__)


def register(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    if settings.backup.hour < 0 or app.job_queue is None:
        return
    try:
        backup.sqlite_file(settings.database.url)
    except backup.BackupError:
        return  # PostgreSQL: the operator's pg_dump does it

    async def daily(_: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            made = await backup.back_up(settings.database.url, Path(settings.backup.folder),
                                        keep=settings.backup.keep, key=settings.backup.key)
            metrics.BACKUPS.inc()
            log.info("backup written: %s", made)
        except (backup.BackupError, OSError):
            log.exception("daily backup failed")

    app.job_queue.run_daily(daily, time=time(settings.backup.hour, tzinfo=UTC), name="backup")

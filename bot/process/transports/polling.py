"""Long polling through the inbox: an update is stored before its offset is confirmed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.process.intake import Intake
from bot.runtime.metrics import telegram_reached
from storage.database import is_disconnect

log = logging.getLogger(__name__)
LONGEST_WAIT = 30.0


async def poll(app: Application[Any, Any, Any, Any, Any, Any], intake: Intake,
               timeout: int) -> None:
    """Runs until cancelled. Telegram forgets an update only when a later call asks for an
    offset past it, and that call is made only after `intake.take` has stored it; cancelled
    in between, the update comes again and the inbox knows it."""
    await app.bot.delete_webhook(drop_pending_updates=False)
    offset = await intake.next_offset()
    wait = 1.0
    while True:
        try:
            updates = await app.bot.get_updates(offset=offset, timeout=timeout,
                                                allowed_updates=Update.ALL_TYPES)
        except InvalidToken:
            raise
        except (NetworkError, Conflict, RetryAfter) as error:  # TimedOut is a NetworkError
            log.warning("getUpdates: %s; trying again in %.0f s", error, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)
            continue
        wait = 1.0
        telegram_reached()
        if not updates:
            continue
        try:
            await _uninterrupted(intake.take(updates))
        except Exception as error:  # not stored: not confirmed, Telegram keeps them
            if is_disconnect(error):  # said once, by the lock, which stops this loop
                await asyncio.sleep(1)
                continue
            if not isinstance(error, SQLAlchemyError):
                raise
            log.warning("storing %d updates failed: %s; trying again", len(updates),
                        str(error).splitlines()[0])
            await asyncio.sleep(1)
            continue
        offset = updates[-1].update_id + 1


async def _uninterrupted(storing: Awaitable[int]) -> int:
    """Stores the batch even when the poll is stopped meanwhile, then stops. A stop that
    cancelled the write inside SQLAlchemy's aiosqlite adapter left the task waiting for
    good (a bot stopped by SIGTERM right after a member's press never exited: seen after
    an import and a card photo, tried five times, five hangs)."""
    write = asyncio.ensure_future(storing)
    try:
        return await asyncio.shield(write)
    except asyncio.CancelledError:
        await write
        raise

"""Replies, expired buttons and the error handler shared by every feature."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler, filters

from bot.messages.errors import error_text
from bot.messages.i18n import Translate, translator
from bot.messages.labels import local_time
from bot.runtime.answers import Answer, send_answer
from bot.runtime.context import BotContext, held_answers
from bot.understanding.amounts import Money
from bot.understanding.dates import Prefer, day_first_in, find_when
from storage import inbox
from storage.clock import utcnow
from storage.database import is_disconnect
from storage.errors import CrmError
from storage.users import find_by_telegram_id, language_from_telegram

log = logging.getLogger(__name__)


async def say(update: Update, context: BotContext, text: str,
              markup: InlineKeyboardMarkup | None = None, *, edit: bool = False) -> None:
    """Answers in the update's chat; `edit` replaces the pressed message instead. A long
    answer goes out as several messages, the buttons under the last. Inside a unit of
    work, the answer goes out when it has committed (BotContext.unit_of_work)."""
    answer = Answer.to(update, text, markup, edit=edit)
    if answer is not None:
        await _send_after_commit(context, answer)


async def tell(context: BotContext, chat_id: int, text: str,
               markup: InlineKeyboardMarkup | None = None) -> None:
    """A message to another member's chat (a request given to them), sent as `say`'s
    answers are: when the unit of work has committed."""
    await _send_after_commit(context, Answer(chat_id, text,
                                             markup.to_dict() if markup is not None else None))


async def _send_after_commit(context: BotContext, answer: Answer) -> None:
    held = held_answers.get()
    if held is not None:
        held.append(answer)
        return
    await send_answer(context.bot, answer)


async def acknowledge(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Stops the button's spinner; a second answer to one press is harmless."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer(text, show_alert=alert)
    except BadRequest:
        log.debug("callback query already answered or too old")


PRIVATE_TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


class TextThat(filters.MessageFilter):
    """Text that `reads` takes for one of a flow's messages (reads_like_payment, …): the
    entry of each one-message flow; the words themselves are read in bot/understanding."""

    def __init__(self, reads: Callable[[str], bool]) -> None:
        super().__init__(name=f"TextThat({reads.__name__})")
        self.reads = reads

    def filter(self, message: Any) -> bool:
        return bool(message.text) and self.reads(message.text)


def forget(context: BotContext, *drafts: str) -> None:
    """Drops a flow's draft(s) from the persisted user_data."""
    if context.user_data is not None:
        for key in drafts:
            context.user_data.pop(key, None)


async def cancel_flow(update: Update, context: BotContext, *drafts: str) -> int:
    """/cancel or a Cancel button in any flow: the drafts are dropped, nothing is saved."""
    await acknowledge(update)
    forget(context, *drafts)
    await say(update, context, context.t("Cancelled. Nothing was saved."),
              edit=update.callback_query is not None)
    return ConversationHandler.END


async def expired_button(update: Update, context: BotContext) -> None:
    await acknowledge(update, context.t("This button has expired."), alert=True)


async def pressed(update: Update, context: BotContext, pattern: re.Pattern[str]
                  ) -> re.Match[str] | None:
    """The pressed button's data matched against `pattern`; data that does not match (an
    old, forged or malformed button) gets the "expired" alert and None."""
    query = update.callback_query
    match = pattern.match(query.data or "") if query is not None else None
    if match is None:
        await expired_button(update, context)
    return match


def team_day_first(context: BotContext) -> bool | None:
    """Whether the team writes 12/8 for the 12th of August (its `team.default_region`);
    None where it may mean either."""
    return day_first_in(context.settings.team.default_region)


async def time_from_answer(update: Update, context: BotContext, text: str
                           ) -> datetime | None:
    """A time the member typed as an answer, in their zone, the future preferred; None
    after telling them it could not be read."""
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    found = find_when(text, now, default_hour=context.settings.reminders.default_hour,
                      prefer=Prefer.FUTURE, day_first=team_day_first(context))
    if found is None:
        await say(update, context, context.t(
            "I could not read a date in that. Try e.g. 明天下午3点 or next Monday 10am."))
        return None
    return found.at


def ceiling_minor(context: BotContext, currency: str) -> int:
    """The team's amount ceiling (`sales.amount_ceiling`) in minor units of `currency`."""
    return Money(Decimal(context.settings.sales.amount_ceiling), currency).minor


def pending_id(context: BotContext, draft: str) -> int | None:
    """The row (a follow-up, a nudge) a flow kept in user_data[draft] while it waits."""
    value = (context.user_data or {}).get(draft)
    return value if isinstance(value, int) else None


async def time_answered(update: Update, context: BotContext, draft: str, waiting: int,
                        act: Callable[[AsyncSession, int, datetime], Awaitable[object]],
                        said: str) -> int:
    """A flow that waits for a time for the row kept in user_data[draft] (a follow-up to
    move, a nudge to follow up): the time read from the answer (asked again when there is
    none), `act` done with it in one unit of work, then `said` with {when} filled in."""
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = pending_id(context, draft)
    if pending is None:
        return ConversationHandler.END
    at = await time_from_answer(update, context, message.text)
    if at is None:
        return waiting
    async with context.unit_of_work() as session:
        await act(session, pending, at)
    await say(update, context, said.format(
        when=local_time(at, context.member.timezone, context.t)))
    forget(context, draft)
    return ConversationHandler.END


async def on_error(update: object, context: BotContext) -> None:
    """Every failure ends in a clear message; the unit of work has already rolled back."""
    error = context.error
    if not isinstance(update, Update):
        if not is_disconnect(error):  # a lost database is said once, by the lock; each
            log.error("job failed", exc_info=error)  # job runs again after re-election
        return
    if is_disconnect(error) and (current := inbox.handling.get()) is not None:
        # Not the member's failure: it is handled again on a fresh connection, or after
        # the instance is active again (bot/process/processing.py).
        current.connection_lost = True
        log.warning("update %d: the database connection was lost; it is handled again",
                    update.update_id)
        return
    t = translator(await _language_of(update, context))
    text = failure_text(error, t, "update")
    try:
        await acknowledge(update)
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the user about an error", exc_info=True)


def failure_text(error: BaseException | None, t: Translate, what: str) -> str:
    """What a member is told when `what` failed: a CrmError says why itself; anything else
    is logged with its traceback and answered with the one apology."""
    if isinstance(error, CrmError):
        return error_text(error, t)
    log.error("%s failed", what, exc_info=error)
    return "⚠️ " + t("Something went wrong and nothing was saved. Please try again.")


async def _language_of(update: Update, context: BotContext) -> str:
    """The error handler gets a fresh context without the member; look the language up."""
    user = update.effective_user
    if user is None:
        return context.language
    try:
        async with context.unit_of_work() as session:
            member = await find_by_telegram_id(session, user.id)
    except Exception:  # the database may be what failed
        member = None
    return member.language if member is not None else language_from_telegram(user.language_code)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(expired_button), group=1)
    app.add_error_handler(on_error)

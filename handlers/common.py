"""Replies, expired buttons and the error handler shared by every feature."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler, filters

from bot.messages.customers import candidates_keyboard
from bot.messages.errors import error_text
from bot.messages.i18n import Translate, translator
from bot.runtime.answers import Answer, send_answer
from bot.runtime.context import BotContext, held_answers
from bot.understanding.amounts import AmountError, Money, parse_amount
from bot.understanding.dates import Prefer, find_when
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import CrmError
from storage.search.lookup import SearchHit, search_customers
from storage.users import find_by_telegram_id, language_from_telegram

log = logging.getLogger(__name__)


async def say(update: Update, context: BotContext, text: str,
              markup: InlineKeyboardMarkup | None = None, *, edit: bool = False) -> None:
    """Answers in the update's chat; `edit` replaces the pressed message instead. A long
    answer goes out as several messages, the buttons under the last. Inside a unit of
    work, the answer goes out when it has committed (BotContext.unit_of_work)."""
    answer = Answer.to(update, text, markup, edit=edit)
    if answer is None:
        return
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


async def time_from_answer(update: Update, context: BotContext, text: str
                           ) -> datetime | None:
    """A time the member typed as an answer, in their zone, the future preferred; None
    after telling them it could not be read."""
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    found = find_when(text, now, default_hour=context.settings.reminders.default_hour,
                      prefer=Prefer.FUTURE)
    if found is None:
        await say(update, context, context.t(
            "I could not read a date in that. Try e.g. 明天下午3点 or next Monday 10am."))
        return None
    return found.at


async def customer_from_answer(update: Update, context: BotContext, prefix: str) -> int | None:
    """The customer a typed answer names, in a flow waiting for one: its id, or None
    after asking again (nobody found, or a button per candidate with `prefix`)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with context.unit_of_work() as session:
        hits = await search_customers(session, message.text, context.member, limit=8)
    if not hits:
        await say(update, context, context.t(
            "Nobody found for that. Try another name, or /add the customer first."))
        return None
    if len(hits) > 1:
        await say(update, context, context.t("Which customer?"),
                  candidates_keyboard(hits, prefix))
        return None
    return hits[0].customer_id


class CustomerQuestion:
    """The steps of a flow that asks which customer a draft is about: the question, a typed
    answer, a candidate's button; each ends by showing the flow's card again."""

    def __init__(self, draft: str, prefix: str, show: Callable[..., Awaitable[int]],
                 waiting: int) -> None:
        self.draft, self.prefix, self.show, self.waiting = draft, prefix, show, waiting

    async def after_mention(self, update: Update, context: BotContext,
                            candidates: list[SearchHit]) -> int:
        """The card when the message named one customer; otherwise the question (with a
        button per candidate when it named several)."""
        if len(candidates) > 1:
            await say(update, context, context.t("Which customer?"),
                      candidates_keyboard(candidates, self.prefix))
            return self.waiting
        if not candidates:
            await say(update, context, context.t(
                "Which customer is this about? Send a name, code or phone (or /cancel)."))
            return self.waiting
        return await self.show(update, context)

    async def ask(self, update: Update, context: BotContext) -> int:
        await acknowledge(update)
        await say(update, context, context.t("Which customer? Send a name, code or phone."))
        return self.waiting

    async def answered(self, update: Update, context: BotContext) -> int:
        customer_id = await customer_from_answer(update, context, self.prefix)
        if customer_id is None:
            return self.waiting
        await set_draft_customer(context, self.draft, customer_id)
        return await self.show(update, context)

    async def picked(self, update: Update, context: BotContext) -> int:
        await acknowledge(update)
        await set_draft_customer(context, self.draft, picked_customer_id(update))
        return await self.show(update, context, edit=True)


def ceiling_minor(context: BotContext, currency: str) -> int:
    """The team's amount ceiling (`sales.amount_ceiling`) in minor units of `currency`."""
    return Money(Decimal(context.settings.sales.amount_ceiling), currency).minor


def picked_customer_id(update: Update) -> int:
    """The customer of a candidate button (`prefix:ID`)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return int(query.data.rsplit(":", 1)[1])


async def set_draft_customer(context: BotContext, draft: str, customer_id: int) -> None:
    """The flow's draft gets the customer, once the member may see them."""
    async with context.unit_of_work() as session:
        await load_customer(session, customer_id, context.member)  # rights check
    assert context.user_data is not None
    context.user_data[draft] = {**context.user_data.get(draft, {}), "customer_id": customer_id}


async def amount_from_answer(update: Update, context: BotContext) -> Money | None:
    """An amount typed as an answer (4.8万, $4,800), more than zero; None after saying
    why it could not be used."""
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        amount = parse_amount(message.text, context.settings.sales.currency)
    except AmountError:
        await say(update, context, context.t(
            "I could not read one amount in that. Send just the amount, e.g. 4.8万 or $4,800."))
        return None
    if amount.amount <= 0:
        await say(update, context, context.t("An amount must be more than zero."))
        return None
    return amount


async def on_error(update: object, context: BotContext) -> None:
    """Every failure ends in a clear message; the unit of work has already rolled back."""
    error = context.error
    if not isinstance(update, Update):
        log.error("job failed", exc_info=error)
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

"""/quality: how complete the records are, per owner, and a walk through the gaps."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.keyboards import button, rows_of
from bot.messages.labels import label
from bot.messages.quality import quality_text
from bot.runtime.context import BotContext
from handlers.common import PRIVATE_TEXT, acknowledge, cancel_flow, forget, pressed, say
from storage import customers, quality

WAIT_VALUE = 0
START = re.compile(r"^q:(phone|email|company|region):(\d{1,10})$")


async def show_quality(update: Update, context: BotContext) -> None:
    t = context.t
    async with context.unit_of_work() as session:
        owners = await quality.completeness(session, context.member)
        left = {f: await quality.gaps_left(session, context.member, f) for f in quality.GAPS}
    buttons = [button("🛠 " + t("Fix {field} ({count})").format(
        field=label(t, field), count=count), f"q:{field}:0")
        for field, count in left.items() if count]
    await say(update, context, quality_text(t, owners),
              InlineKeyboardMarkup(rows_of(buttons, 2))
              if buttons else None)


async def start_fixing(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, START)
    if match is None:
        return ConversationHandler.END
    await acknowledge(update)
    return await _ask_next(update, context, match.group(1), int(match.group(2)))


async def _ask_next(update: Update, context: BotContext, field: str, after_id: int) -> int:
    """Shows the next record lacking `field`, or says all are done."""
    t = context.t
    async with context.unit_of_work() as session:
        customer = await quality.next_gap(session, context.member, field, after_id)
        left = await quality.gaps_left(session, context.member, field)
    if customer is None:
        forget(context, "quality")
        await say(update, context, "🎉 " + t("No more records without a {field}.").format(
            field=label(t, field)))
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data["quality"] = {"field": field, "customer_id": customer.id}
    await say(update, context, t(
        "{name} <code>{code}</code> has no {field} ({left} left). Send it, /skip this one "
        "or /cancel.").format(name=f"<b>{escape(customer.name)}</b>", code=customer.code,
                              field=label(t, field), left=left))
    return WAIT_VALUE


async def got_value(update: Update, context: BotContext) -> int:
    message = update.effective_message
    pending = (context.user_data or {}).get("quality")
    if message is None or not isinstance(pending, dict):
        return ConversationHandler.END
    field, customer_id = str(pending["field"]), int(pending["customer_id"])
    if message.text and not message.text.startswith("/"):
        async with context.unit_of_work() as session:
            customer = await customers.load_customer(session, customer_id, context.member)
            await customers.update_field(session, customer, field, message.text,
                                         context.member,
                                         default_region=context.settings.team.default_region)
        await say(update, context, "✅ " + context.t("Saved."))
    return await _ask_next(update, context, field, customer_id)


async def cancel(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "quality")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("quality", show_quality))
    app.add_handler(ConversationHandler(
        name="quality",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_fixing, pattern=r"^q:")],
        states={WAIT_VALUE: [MessageHandler(PRIVATE_TEXT, got_value),
                             CommandHandler("skip", got_value)]},
        fallbacks=[CommandHandler("cancel", cancel)],
    ))

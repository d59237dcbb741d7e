"""Stale-record nudges: their buttons, and /nudges to see what needs a look now."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.reminders import nudge_keyboard, nudge_text, nudges_keyboard
from bot.runtime.context import BotContext
from handlers.common import (
    PRIVATE_TEXT,
    acknowledge,
    cancel_flow,
    pressed,
    say,
    time_answered,
)
from storage import nudges, reminders
from storage.clock import utcnow
from storage.models import User

WAIT_TIME = 0
ACTION = re.compile(r"^n:(\d{1,10}):(open|log|followup|snooze|reviewed|ok)$")


async def nudge_button(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, ACTION)
    if match is None:
        return ConversationHandler.END
    nudge_id, action = int(match.group(1)), match.group(2)
    t, member = context.t, context.member
    rule = context.settings.reminders.stale_rule()
    async with context.unit_of_work() as session:
        nudge, customer = await nudges.load_nudge(session, member, nudge_id)
        name = escape(customer.name)
        await acknowledge(update)
        if action == "open":
            await say(update, context, nudge_text(t, nudge, member.timezone),
                      nudge_keyboard(t, nudge))
        elif action == "log":
            await say(update, context, "📝 " + t(
                "Reply to this message with what happened with {name} <code>{code}</code> "
                "(text or a voice note).").format(name=name, code=customer.code))
        elif action == "followup":
            reminders.ensure_open(nudge)
            assert context.user_data is not None
            context.user_data["nudge"] = nudge.id
            await say(update, context, t("When should I remind you about {name}? e.g. "
                                         "下周一上午10点, next Monday 10am.").format(name=name))
            return WAIT_TIME
        elif action == "snooze":
            await nudges.snooze(session, member, nudge_id, rule)
            await say(update, context, "💤 " + t("I will ask again about {name} in a week.")
                      .format(name=name), edit=True)
        elif action == "reviewed":
            await nudges.mark_reviewed(session, member, nudge_id)
            await say(update, context, "👌 " + t("{name} marked as reviewed.").format(name=name),
                      edit=True)
        else:
            await nudges.confirm_details(session, member, nudge_id)
            await say(update, context, "✅ " + t("Thanks, {name}'s details are confirmed.")
                      .format(name=name), edit=True)
    return ConversationHandler.END


async def got_time(update: Update, context: BotContext) -> int:
    async def follow_up(session: AsyncSession, nudge_id: int, at: datetime) -> None:
        await nudges.follow_up(session, context.member, nudge_id, at, context.t("Follow up"))

    return await time_answered(update, context, "nudge", WAIT_TIME, follow_up,
                               "⏰ " + context.t("Follow-up set for {when}."))


async def cancel(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "nudge")


async def list_nudges(update: Update, context: BotContext) -> None:
    """/nudges: runs the member's stale scan now and lists what needs a look."""
    member, t = context.member, context.t
    now = utcnow()
    async with context.unit_of_work() as session:
        user = await session.get(User, member.user_id)
        if user is not None:
            await nudges.scan_member(session, user, now,
                                     context.settings.reminders.stale_rule())
        items = await nudges.open_nudges(session, member, now)
        if not items:
            await say(update, context, t("Nothing needs a look: every record is fresh. 🎉"))
            return
        await say(update, context, t("Records that need a look ({count}):").format(
            count=len(items)), nudges_keyboard(items))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    flow = ConversationHandler(
        name="nudge",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(nudge_button, pattern=r"^n:")],
        states={WAIT_TIME: [MessageHandler(PRIVATE_TEXT, got_time)]},
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    app.add_handler(flow)
    app.add_handler(CommandHandler("nudges", list_nudges))

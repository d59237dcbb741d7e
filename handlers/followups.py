"""Follow-ups once set: the reminder's buttons, Done with an outcome, /followups, /tz."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.labels import local_time
from bot.messages.reminders import (
    followups_keyboard,
    followups_text,
    reminder_keyboard,
    reminder_text,
)
from bot.messages.sales import satisfaction_keyboard, satisfaction_question
from bot.runtime.context import BotContext
from handlers.common import (
    PRIVATE_TEXT,
    acknowledge,
    cancel_flow,
    forget,
    pending_id,
    pressed,
    say,
    time_answered,
)
from storage import reminders, users
from storage.clock import utcnow

WAIT_OUTCOME, WAIT_TIME = range(2)
ACTION = re.compile(r"^r:(\d{1,10}):(done|1h|tomorrow|nextweek|pick|cancel|open)$")


def snooze_target(action: str, now: datetime, default_hour: int) -> datetime:
    """1 h from now, tomorrow at the default hour, or next Monday at it (user's zone)."""
    if action == "1h":
        return (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    days = 1 if action == "tomorrow" else 7 - now.weekday()
    return datetime.combine(now.date() + timedelta(days=days), time(default_hour),
                            tzinfo=now.tzinfo)


async def reminder_button(update: Update, context: BotContext) -> int | None:
    match = await pressed(update, context, ACTION)
    if match is None:
        return ConversationHandler.END
    reminder_id, action = int(match.group(1)), match.group(2)
    t, member = context.t, context.member
    zone = ZoneInfo(member.timezone)
    async with context.unit_of_work() as session:
        reminder = await reminders.load_reminder(session, member, reminder_id)
        if action == "open":
            await acknowledge(update)
            await say(update, context, reminder_text(t, reminder, member.timezone, late=False),
                      reminder_keyboard(t, reminder.id))
            return ConversationHandler.END
        if action in ("done", "pick"):
            reminders.ensure_open(reminder)
            await acknowledge(update)
            assert context.user_data is not None
            context.user_data["followup"] = reminder.id
            if action == "done":
                await say(update, context, t(
                    "What came of it? One line for the timeline, or /skip."))
                return WAIT_OUTCOME
            await say(update, context, t("When should I remind you again? e.g. 明天下午3点, "
                                         "next Monday 10am."))
            return WAIT_TIME
        if action == "cancel":
            await reminders.cancel(session, member, reminder.id)
            await acknowledge(update, t("Cancelled."))
            await say(update, context, "🗑 " + t("Follow-up cancelled."), edit=True)
            return ConversationHandler.END
        target = snooze_target(action, utcnow().astimezone(zone),
                               context.settings.reminders.default_hour)
        await reminders.reschedule(session, member, reminder.id, target)
        await acknowledge(update)
        await say(update, context, "💤 " + t("I will remind you again at {when}.").format(
            when=local_time(target, member.timezone, t)), edit=True)
    return ConversationHandler.END


async def got_outcome(update: Update, context: BotContext) -> int:
    message = update.effective_message
    reminder_id = pending_id(context, "followup")
    if reminder_id is None:
        return ConversationHandler.END
    outcome = message.text if message is not None and message.text else None
    if outcome is not None and outcome.strip().startswith("/"):
        outcome = None  # /skip
    async with context.unit_of_work() as session:
        reminder = await reminders.complete(session, context.member, reminder_id, outcome)
        note = context.t("Done.")
        if reminder.outcome_interaction_id is not None and reminder.customer is not None:
            note = context.t("Done, and noted on {name}'s timeline.").format(
                name=escape(reminder.customer.name))
        customer = reminder.customer
        if customer is None:
            await say(update, context, "✅ " + note)
        else:
            await say(update, context, "✅ " + note + satisfaction_question(
                context.t, customer.name), satisfaction_keyboard(customer.id))
    forget(context, "followup")
    return ConversationHandler.END


async def got_time(update: Update, context: BotContext) -> int:
    async def reschedule(session: AsyncSession, reminder_id: int, at: datetime) -> None:
        await reminders.reschedule(session, context.member, reminder_id, at)

    return await time_answered(update, context, "followup", WAIT_TIME, reschedule,
                               "💤 " + context.t("I will remind you again at {when}."))


async def cancel(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "followup")


async def list_followups(update: Update, context: BotContext) -> None:
    member, t = context.member, context.t
    zone = ZoneInfo(member.timezone)
    now = utcnow().astimezone(zone)
    today_end = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=zone)
    week_end = datetime.combine(now.date() + timedelta(days=7 - now.weekday()), time(0),
                                tzinfo=zone)
    async with context.unit_of_work() as session:
        items = await reminders.open_followups(session, member, week_end)
        groups = {
            "overdue": [r for r in items if r.due_at <= now],
            "today": [r for r in items if now < r.due_at < today_end],
            "week": [r for r in items if today_end <= r.due_at],
        }
        await say(update, context, followups_text(t, groups, member.timezone),
                  followups_keyboard(items, member.timezone, t) if items else None)


async def time_zone(update: Update, context: BotContext) -> None:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    parts = text.split(maxsplit=1)
    t = context.t
    if len(parts) < 2:
        await say(update, context, t("Your time zone is {zone}. Change it with e.g. "
                                     "/tz Europe/Berlin").format(zone=context.member.timezone))
        return
    async with context.unit_of_work() as session:
        zone = await users.set_timezone(session, context.member.user_id, parts[1])
    await say(update, context, "🕒 " + t("Time zone set to {zone}.").format(zone=zone))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    flow = ConversationHandler(
        name="followup",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(reminder_button, pattern=r"^r:")],
        states={
            WAIT_OUTCOME: [MessageHandler(PRIVATE_TEXT, got_outcome),
                           CommandHandler("skip", got_outcome)],
            WAIT_TIME: [MessageHandler(PRIVATE_TEXT, got_time)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    app.add_handler(flow)
    app.add_handler(CommandHandler("followups", list_followups))
    app.add_handler(CommandHandler("tz", time_zone))

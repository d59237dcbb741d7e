"""The owner's answers to last night's assessment: a suggested tier taken or kept, a
customer slipping away given a follow-up or put off for 30 days."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.messages.labels import local_time, tier_label
from bot.runtime.context import BotContext
from handlers.common import acknowledge, pressed, say
from storage import customers, reminders
from storage.clock import utcnow
from storage.sales import value
from storage.sales.satisfaction import next_working_day

CHURN = re.compile(r"^churn:(\d{1,10}):(remind|quiet)$")
TIERS = re.compile(r"^tiers:(\d{1,10}):(core|important|normal|keep)$")
QUIET_FOR = timedelta(days=30)


async def churn_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, CHURN)
    if match is None:
        return
    customer_id, action = int(match.group(1)), match.group(2)
    t, member = context.t, context.member
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, customer_id, member)
        if action == "quiet":
            until = utcnow() + QUIET_FOR
            await value.quiet_churn(session, member, customer.id, until)
            text = "🙈 " + t("No warnings about {name} until {when}.").format(
                name=customer.name, when=local_time(until, member.timezone, t)[:10])
        else:
            due = next_working_day(utcnow(), member.timezone,
                                   context.settings.reminders.default_hour)
            await reminders.schedule_followup(session, member, customer.id, due,
                                              t("Slipping away: get in touch"))
            text = "⏰ " + t("Follow-up with {name} set for {when}.").format(
                name=customer.name, when=local_time(due, member.timezone, t))
    await acknowledge(update, text)
    await say(update, context, text)


async def tier_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, TIERS)
    if match is None:
        return
    customer_id, answer = int(match.group(1)), match.group(2)
    t = context.t
    async with context.unit_of_work() as session:
        if answer == "keep":
            await value.keep_tier(session, context.member, customer_id)
            customer = await customers.load_customer(session, customer_id, context.member)
            text = "👍 " + t("{name} stays {tier}.").format(name=customer.name,
                                                           tier=tier_label(t, customer.tier))
        else:
            customer = await value.take_tier(session, context.member, customer_id, answer)
            text = "⭐ " + t("{name} is {tier} now.").format(name=customer.name,
                                                          tier=tier_label(t, customer.tier))
    await acknowledge(update, text)
    await say(update, context, text)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(churn_pressed, pattern=r"^churn:"))
    app.add_handler(CallbackQueryHandler(tier_pressed, pattern=r"^tiers:"))

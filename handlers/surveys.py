"""The customer's own satisfaction answer: ⭐ Survey link under a resolved request, or
/survey <customer>; the member gets a message to forward (WeChat, email, SMS) with the
link in the customer's language. Without the Mini App's public address (`webapp.url`) a
link could not open: the member is told what to configure, and nothing is made."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.i18n import N_, translator
from bot.runtime.context import BotContext
from handlers.common import acknowledge, pressed, say
from handlers.flows import one_customer_named
from storage import surveys
from storage.customers import load_customer
from storage.requests import load_request
from storage.surveys import VALID_FOR, survey_language, survey_link

INVITATION = N_("Hello {name}, thank you for choosing us. Could you take a minute to tell us "
                "how we did? {link}")
SURVEY_BUTTON = re.compile(r"^rq:(\d{1,10}):survey$")


async def _send_link(update: Update, context: BotContext, customer_id: int, *,
                     request_id: int | None = None) -> None:
    t = context.t
    public = context.settings.webapp.url
    if not public:
        await say(update, context, "⚠️ " + t(
            "Survey links open on the Mini App's public https address, and none is set. "
            "Ask your admin to set webapp.url and webapp.port in the configuration "
            "(docs/operations.md, \"The Mini App\")."))
        return
    region = context.settings.team.default_region
    async with context.unit_of_work() as session:
        customer = await load_customer(session, customer_id, context.member)
        survey, token = await surveys.new_survey(
            session, context.member, customer.id, request_id=request_id,
            language=survey_language(customer, region))
        link = survey_link(public, token)
        theirs = translator(survey.language)
        await say(update, context, "⭐ " + t(
            "Survey for {name}: one answer, open for {days} days. Forward the next message "
            "to the customer (WeChat, email or SMS).").format(name=escape(customer.name),
                                                             days=VALID_FOR.days))
        await say(update, context, escape(theirs(INVITATION).format(name=customer.name,
                                                                    link=link)))


async def survey_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, SURVEY_BUTTON)
    if match is None:
        return
    await acknowledge(update)
    async with context.unit_of_work() as session:
        request = await load_request(session, int(match.group(1)), context.member)
        customer_id = request.customer_id
    await _send_link(update, context, customer_id, request_id=int(match.group(1)))


async def survey_command(update: Update, context: BotContext) -> None:
    customer_id = await one_customer_named(update, context, context.t(
        "Tell me whose opinion to ask, e.g. /survey 王小明"))
    if customer_id is not None:
        await _send_link(update, context, customer_id)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("survey", survey_command))
    app.add_handler(CallbackQueryHandler(survey_pressed, pattern=r"^rq:\d{1,10}:survey$"))

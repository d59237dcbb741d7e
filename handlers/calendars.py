"""/calendar: the member's secret calendar address (storage/calendars.py), shown once when
made; 🔁 makes a new one (the old stops at once), 🚫 revokes it. Without the Mini App's
public address (`webapp.url`), which serves the feed, the member is told what to set.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.keyboards import button
from bot.messages.labels import local_time
from bot.runtime.context import BotContext
from handlers.common import acknowledge, pressed, say
from storage import calendars

CHANGE = re.compile(r"^cal:(new|revoke)$")


def _keyboard(context: BotContext) -> InlineKeyboardMarkup:
    t = context.t
    return InlineKeyboardMarkup([[button("🔁 " + t("New address"), "cal:new"),
                                  button("🚫 " + t("Revoke"), "cal:revoke")]])


async def _no_public_address(update: Update, context: BotContext) -> bool:
    if context.settings.webapp.url:
        return False
    await say(update, context, "⚠️ " + context.t(
        "The calendar address is served on the Mini App's public https address, and none "
        "is set. Ask your admin to set webapp.url and webapp.port in the configuration "
        "(docs/operations.md, \"The Mini App\")."))
    return True


async def calendar_command(update: Update, context: BotContext) -> None:
    if await _no_public_address(update, context):
        return
    async with context.unit_of_work() as session:
        made = await calendars.feed_made(session, context.member.user_id)
    if made is None:
        await _new_address(update, context)
        return
    await say(update, context, "📅 " + context.t(
        "You have a calendar address since {when}. It is shown only when it is made: make "
        "a new one (the old one stops working at once), or revoke it.").format(
            when=local_time(made, context.member.timezone, context.t)), _keyboard(context))


async def _new_address(update: Update, context: BotContext, *, edit: bool = False) -> None:
    t = context.t
    async with context.unit_of_work() as session:
        token = await calendars.new_feed(session, context.member.user_id)
    link = calendars.feed_link(context.settings.webapp.url, token)
    await say(update, context, "\n\n".join([
        "📅 " + t("Your calendar address:") + f"\n<code>{link}</code>",
        t("Add it to your phone's calendar as a subscription (iPhone: Settings → Calendar → "
          "Accounts → Add Account → Other → Add Subscribed Calendar; Google Calendar on the "
          "web: Other calendars → From URL). It shows your open follow-ups, service "
          "requests and collection dates, read-only: changes are made here in the chat."),
        "⏱ " + t("Calendar apps refresh a subscription on their own schedule: some only a "
                 "few times a day, so a change here may take hours to show there."),
        "🔒 " + t("Keep it to yourself: anyone with the address sees these events. If it "
                  "leaks, make a new one.")]), _keyboard(context), edit=edit)


async def change_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, CHANGE)
    if match is None or await _no_public_address(update, context):
        return
    await acknowledge(update)
    if match.group(1) == "new":
        await _new_address(update, context, edit=True)
        return
    async with context.unit_of_work() as session:
        revoked = await calendars.revoke_feed(session, context.member.user_id)
    await say(update, context, "🚫 " + (
        context.t("Revoked: the address no longer works. /calendar makes a new one.")
        if revoked else context.t("You have no calendar address. /calendar makes one.")),
        edit=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("calendar", calendar_command))
    app.add_handler(CallbackQueryHandler(change_pressed, pattern=r"^cal:"))

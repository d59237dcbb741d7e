"""/team for managers: members with their numbers, and deactivating one with a handover."""

from __future__ import annotations

import re
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.keyboards import button
from bot.messages.targets import attainment_text
from bot.messages.team import members_keyboard, team_text
from bot.runtime.context import BotContext
from handlers.common import acknowledge, pressed, say
from storage import targets, team
from storage.clock import utcnow
from storage.targets import month_of
from storage.users import ensure_manager

ACTION = re.compile(r"^tm:(\d{1,10}):(off|to)(?::(\d{1,10}))?$")


async def show_team(update: Update, context: BotContext) -> None:
    ensure_manager(context.member)
    t = context.t
    async with context.unit_of_work() as session:
        lines = await team.overview(session, context.member)
    others = [line.user for line in lines if line.user.id != context.member.user_id]
    rows = [[button("🚫 " + t("Deactivate {name}").format(name=u.display_name[:30]),
                    f"tm:{u.id}:off")] for u in others]
    if others:
        rows.insert(0, [button("🎯 " + t("Set targets"), "tg:set")])
    today = utcnow().astimezone(ZoneInfo(context.member.timezone)).date()
    async with context.unit_of_work() as session:
        attained = await targets.attainment(session, month_of(today), today,
                                            context.member.timezone)
    text = team_text(t, lines)
    if attained:
        text += "\n\n" + attainment_text(t, month_of(today), attained,
                                          title=t("Targets of the team"))
    await say(update, context, text, InlineKeyboardMarkup(rows) if rows else None)


async def team_button(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, ACTION)
    if match is None:
        return
    user_id, action, successor = int(match.group(1)), match.group(2), match.group(3)
    t, member = context.t, context.member
    ensure_manager(member)
    async with context.unit_of_work() as session:
        if action == "off" or successor is None:
            leaving = await team.active_member(session, user_id)
            handover = await team.what_goes(session, user_id)
            candidates = [u for u in await team.active_members(session) if u.id != user_id]
            await acknowledge(update)
            await say(update, context, t(
                "To whom should {name}'s {customers} customers and {followups} open "
                "follow-ups go?").format(
                    name=escape(leaving.display_name),
                    customers=handover.customers, followups=handover.followups),
                members_keyboard(candidates, f"tm:{user_id}:to"), edit=True)
            return
        handover = await team.deactivate(session, member, user_id, int(successor),
                                         admin_ids=context.settings.admin_ids)
        successor_user = await team.active_member(session, int(successor))
        await acknowledge(update)
        await say(update, context, "✅ " + t(
            "Deactivated. {customers} customers and {followups} open follow-ups went to "
            "{name}.").format(customers=handover.customers, followups=handover.followups,
                              name=escape(successor_user.display_name)), edit=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("team", show_team))
    app.add_handler(CallbackQueryHandler(team_button, pattern=r"^tm:"))

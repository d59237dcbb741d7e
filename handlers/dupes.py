"""/dupes: groups of likely duplicates, merged with one tap, undone with another."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.duplicates import (
    duplicate_group_keyboard,
    duplicate_group_text,
    merged_text,
    undo_keyboard,
)
from bot.runtime.context import BotContext
from handlers.common import acknowledge, pressed, say
from storage import dedupe
from storage.customers import load_customer
from storage.models import Customer, format_code

MERGE = re.compile(r"^dm:(\d{1,10}):(\d{1,10}(?:,\d{1,10}){0,4})$")
UNDO = re.compile(r"^mu:(\d{1,10}(?:,\d{1,10}){0,4})$")
DISTINCT = re.compile(r"^dn:(\d{1,10}(?:,\d{1,10}){1,4})$")


async def list_duplicates(update: Update, context: BotContext) -> None:
    region = context.settings.team.default_region
    async with context.unit_of_work() as session:
        groups = await dedupe.duplicate_groups(session, context.member)
        if not groups:
            await say(update, context, context.t("No likely duplicates found. 🎉"))
            return
        for number, group in enumerate(groups, 1):
            await say(update, context, duplicate_group_text(
                context.t, group, number, len(groups), region=region),
                duplicate_group_keyboard(context.t, group))


async def merge_group(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, MERGE)
    if match is None:
        return
    survivor_id = int(match.group(1))
    others = [int(i) for i in match.group(2).split(",")]
    async with context.unit_of_work() as session:
        records = [await dedupe.merge_by_id(session, context.member, survivor_id, other)
                   for other in others]
        survivor = await load_customer(session, survivor_id, context.member)
        merged = [await session.get(Customer, r.merged_id) for r in records]
        await acknowledge(update)
        await say(update, context, merged_text(context.t, survivor,
                                               [m for m in merged if m is not None]),
                  undo_keyboard(context.t, [r.id for r in records]), edit=True)


async def undo(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, UNDO)
    if match is None:
        return
    merge_ids = [int(i) for i in match.group(1).split(",")]
    async with context.unit_of_work() as session:
        for merge_id in reversed(merge_ids):
            await dedupe.undo_merge(session, context.member, merge_id)
        await acknowledge(update)
        await say(update, context, "↩️ " + context.t(
            "Merge undone: the records are separate again."), edit=True)


async def not_duplicates(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, DISTINCT)
    if match is None:
        return
    ids = [int(i) for i in match.group(1).split(",")]
    async with context.unit_of_work() as session:
        await dedupe.mark_distinct(session, context.member, ids)
        await acknowledge(update)
        await say(update, context, "🙅 " + context.t(
            "Noted: {codes} are different people; /dupes will not pair them again.").format(
                codes=", ".join(format_code(i) for i in ids)), edit=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("dupes", list_duplicates))
    app.add_handler(CallbackQueryHandler(merge_group, pattern=r"^dm:"))
    app.add_handler(CallbackQueryHandler(undo, pattern=r"^mu:"))
    app.add_handler(CallbackQueryHandler(not_duplicates, pattern=r"^dn:"))

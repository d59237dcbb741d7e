"""/segment NAME filters… saves a filter; /segments lists them with their customers,
export and numbers; `seg:NAME` works in /find, /export and /stats."""

from __future__ import annotations

import re
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.customers import results_keyboard
from bot.messages.keyboards import button
from bot.runtime.context import BotContext
from bot.understanding.filters import filter_from_words
from handlers.common import acknowledge, pressed, say
from handlers.exports import start_export
from storage import filters
from storage.filters import CustomerFilter
from storage.sales import segments
from storage.search.lookup import SearchHit

ACTION = re.compile(r"^sg:(\d{1,10}):(list|export|delete)$")
LISTED = 20


def _keyboard(t: Any, segment_id: int) -> InlineKeyboardMarkup:
    prefix = f"sg:{segment_id}"
    return InlineKeyboardMarkup([[button("🔎 " + t("Customers"), f"{prefix}:list"),
                                  button("📤 " + t("Export"), f"{prefix}:export"),
                                  button("📊 " + t("Numbers"), f"stats:365:{segment_id}:new"),
                                  button("🗑", f"{prefix}:delete")]])


def filter_of(context: BotContext, words: str) -> CustomerFilter:
    return filter_from_words(words, ZoneInfo(context.member.timezone))


async def segment_command(update: Update, context: BotContext) -> None:
    words = context.args or []
    t = context.t
    if len(words) < 2:
        await say(update, context, t(
            "Save a filter by name, e.g. /segment 上海核心沉默 tier:core region:上海 quiet:30"))
        return
    name, query = words[0], " ".join(words[1:])
    chosen = filter_of(context, query)  # unknown words are refused here
    async with context.unit_of_work() as session:
        segment = await segments.save_segment(session, context.member, name, query)
        _, count = await filters.matching_customers(session, context.member, chosen, limit=0)
        await say(update, context, "💾 " + t(
            "Segment “{name}” saved: {count} customers match now.").format(
                name=escape(segment.name), count=count), _keyboard(t, segment.id))


async def segments_command(update: Update, context: BotContext) -> None:
    t = context.t
    async with context.unit_of_work() as session:
        found = await segments.all_segments(session)
    if not found:
        await say(update, context, t(
            "No segments yet. Save one, e.g. /segment 上海核心沉默 tier:core region:上海 "
            "quiet:30"))
        return
    for segment in found:
        await say(update, context, f"🗂 <b>{escape(segment.name)}</b>: "
                  f"<code>{escape(segment.query)}</code>", _keyboard(t, segment.id))


async def list_customers(update: Update, context: BotContext, words: str, title: str) -> None:
    async with context.unit_of_work() as session:
        chosen = filter_of(context, await segments.expand(session, words))
        rows, total = await filters.matching_customers(session, context.member, chosen,
                                                       limit=LISTED)
    if not rows:
        await say(update, context, context.t("No customers match these filters."))
        return
    hits = [SearchHit(i, name, company, region, 0) for i, name, company, region in rows]
    await say(update, context, context.t("{title}: {total} customers; the first {shown}:")
              .format(title=escape(title), total=total, shown=len(hits)), results_keyboard(hits))


async def action(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, ACTION)
    if match is None:
        return
    await acknowledge(update)
    segment_id, what = int(match.group(1)), match.group(2)
    async with context.unit_of_work() as session:
        if what == "delete":
            name = await segments.delete_segment(session, context.member, segment_id)
            await say(update, context, "🗑 " + context.t("Segment “{name}” deleted.").format(
                name=escape(name)), edit=True)
            return
        segment = await segments.load_segment(session, segment_id)
    words = f"seg:{segment.name}"
    if what == "list":
        await list_customers(update, context, words, segment.name)
    else:
        await start_export(update, context, words)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("segment", segment_command))
    app.add_handler(CommandHandler("segments", segments_command))
    app.add_handler(CallbackQueryHandler(action, pattern=r"^sg:"))

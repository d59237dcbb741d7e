"""Lookups: /find and plain text in a private chat."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler

from bot.messages.customers import results_keyboard
from bot.runtime.context import BotContext
from handlers.common import PRIVATE_TEXT, say
from handlers.customers import show_card
from handlers.segments import list_customers
from storage import customers
from storage.errors import NotFound
from storage.search.lookup import parse_code, search_customers

RESULTS = 10
SEGMENT = re.compile(r"^\s*(?:seg|segment|分组)[:：]\S+", re.I)


async def find(update: Update, context: BotContext) -> None:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    parts = text.split(maxsplit=1)
    if message is not None and parts and parts[0].startswith("/"):
        if len(parts) < 2:
            await say(update, context, context.t("What should I look for? For example: /find wxm"))
            return
        query = parts[1]
    else:
        query = text
    await look_up(update, context, query)


async def look_up(update: Update, context: BotContext, query: str) -> None:
    t = context.t
    if SEGMENT.match(query):  # seg:NAME lists the segment's customers
        await list_customers(update, context, query, query.split(":", 1)[-1].split("：")[-1])
        return
    async with context.unit_of_work() as session:
        hits = await search_customers(session, query, context.member, limit=RESULTS)
        code = parse_code(query)
        if not hits and code is not None:
            # The code of a merged record still works: it opens the record it went into.
            try:
                customer = await customers.load_customer(session, code, context.member)
            except NotFound:
                customer = None
            if customer is not None:
                await show_card(session, update, context, customer)
                return
        if len(hits) == 1:
            customer = await customers.load_customer(session, hits[0].customer_id, context.member)
            await show_card(session, update, context, customer)
            return
    if not hits:
        await say(update, context, t("Nothing found for “{query}”. Send /add to add a customer.")
                  .format(query=escape(query[:100])))
        return
    await say(update, context, t("Found {count}:").format(count=len(hits)),
              results_keyboard(hits))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("find", find))
    app.add_handler(MessageHandler(PRIVATE_TEXT, find))

"""Inline lookups: `@bot wxm` typed in any chat lists the customers the member may see;
the one chosen is posted into that chat as a compact card."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, InlineQueryHandler

from bot.messages.customers import compact_card
from bot.runtime.context import BotContext
from storage.customers import customers_in_order
from storage.search.lookup import recently_changed, search_customers
from storage.validation import format_phone

log = logging.getLogger(__name__)

RESULTS = 20
# Telegram keeps an answer this long for this member alone (`is_personal`): typing back
# over a query costs no second search, and no one else is shown what this member sees.
CACHE_SECONDS = 10


async def inline_lookup(update: Update, context: BotContext) -> None:
    query = update.inline_query
    assert query is not None
    member, region = context.member, context.settings.team.default_region
    async with context.unit_of_work() as session:
        if query.query.strip():
            hits = await search_customers(session, query.query, member, limit=RESULTS)
        else:  # nothing typed yet: what changed last
            hits = await recently_changed(session, member, limit=RESULTS)
        found = await customers_in_order(session, [hit.customer_id for hit in hits])
        results = [
            InlineQueryResultArticle(
                id=str(customer.id),
                title=f"{customer.name} · {customer.company}" if customer.company
                else customer.name,
                description=" · ".join(
                    [customer.code, *[format_phone(p, region)
                                      for p in customer.contact_values("phone")[:1]]]),
                input_message_content=InputTextMessageContent(
                    compact_card(customer, context.t, region=region),
                    parse_mode=ParseMode.HTML),
            )
            for customer in found
        ]
    try:
        await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
    except BadRequest as error:  # handled too late (after a restart): nobody is waiting
        log.info("inline query %s not answered: %s", query.id, error)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(InlineQueryHandler(inline_lookup))

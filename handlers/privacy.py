"""/history of a record; an admin's /export and /erase of one customer, each confirmed."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.messages.history import history_text
from bot.messages.keyboards import button
from bot.runtime.context import BotContext
from handlers.common import acknowledge, pressed, say
from storage import privacy
from storage.errors import N_, ValidationFailed
from storage.search.lookup import parse_code
from storage.users import ensure_admin

ACTION = re.compile(r"^pv:(export|erase):(\d{1,10})$")


def _code_argument(update: Update, usage: str) -> int:
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message is not None else []
    code = parse_code(parts[1].strip()) if len(parts) > 1 else None
    if code is None:
        raise ValidationFailed("code", usage)
    return code


async def show_history(update: Update, context: BotContext) -> None:
    customer_id = _code_argument(update, N_("Usage: /history C-000123"))
    async with context.unit_of_work() as session:
        customer = await privacy.load_record(session, context.member, customer_id)
        changes = await privacy.history(session, context.member, customer_id)
        await say(update, context, history_text(context.t, customer, changes,
                                                context.member.timezone))


async def ask_export(update: Update, context: BotContext) -> None:
    await _ask(update, context, "export", N_("Usage: /export C-000123"),
               N_("Export everything stored about {name} <code>{code}</code> as a file?"),
               N_("Export"))


async def ask_erase(update: Update, context: BotContext) -> None:
    await _ask(update, context, "erase", N_("Usage: /erase C-000123"),
               N_("Erase {name} <code>{code}</code>? Name, contacts, notes and what the "
                  "timeline says are anonymised for good; counts and dates stay. This "
                  "cannot be undone."), N_("Erase for good"))


async def _ask(update: Update, context: BotContext, action: str, usage: str, question: str,
               confirm: str) -> None:
    ensure_admin(context.member)
    customer_id = _code_argument(update, usage)
    t = context.t
    async with context.unit_of_work() as session:
        customer = await privacy.load_record(session, context.member, customer_id)
        await say(update, context, "⚠️ " + t(question).format(
            name=escape(customer.name), code=customer.code), InlineKeyboardMarkup([[
                button(t(confirm), f"pv:{action}:{customer.id}"),
                button(t("Cancel"), "pv:cancel")]]))


async def confirmed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is not None and query.data == "pv:cancel":
        await acknowledge(update)
        await say(update, context, context.t("Cancelled. Nothing was changed."), edit=True)
        return
    match = await pressed(update, context, ACTION)
    if match is None:
        return
    action, customer_id = match.group(1), int(match.group(2))
    chat = update.effective_chat
    async with context.unit_of_work() as session:
        if action == "export":
            data = await privacy.export_customer(session, context.member, customer_id)
            code = data["customer"]["code"]
            await acknowledge(update)
            if chat is not None:
                await context.bot.send_document(
                    chat.id, json.dumps(data, ensure_ascii=False, indent=2).encode(),
                    filename=f"{code}.json", caption="📦 " + code)
            return
        customer = await privacy.erase_customer(session, context.member, customer_id)
        await acknowledge(update)
        await say(update, context, "🧹 " + context.t(
            "{code} is erased. The act itself is in the audit log.").format(
                code=customer.code), edit=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("history", show_history))
    app.add_handler(CommandHandler("erase", ask_erase))
    app.add_handler(CallbackQueryHandler(confirmed, pattern=r"^pv:"))

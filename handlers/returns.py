"""Goods sent back and money given up: "王小明退货 5 台 X1" -> card -> one tap; a
manager's /writeoff.

The return card shows which purchase it is about (the latest of that product), the
amount (said, or the units' share of what the purchase cost), and what it does: less
owed, or a refund due. The draft lives in user_data["ret"] (persisted).
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.errors import error_text
from bot.messages.i18n import N_
from bot.messages.payments import (
    return_card,
    return_keyboard,
    write_off_choices,
    written_off,
)
from bot.runtime.context import BotContext
from bot.understanding.amounts import Money, format_money
from bot.understanding.returns import reads_like_return, understand_return
from handlers.common import PRIVATE_TEXT, TextThat, acknowledge, forget, pressed, say
from handlers.flows import CONFIRM, CardFlow, draft_customer, one_customer_named
from storage.customers import load_customer
from storage.errors import ValidationFailed
from storage.models import Purchase
from storage.sales import payments
from storage.search.lookup import SearchHit
from storage.users import ensure_manager


async def start_return(update: Update, context: BotContext, text: str,
                       candidates: list[SearchHit]) -> int:
    words = understand_return(text, context.settings.sales.currency)
    FLOW.keep(context, {
        "text": text, "quantity": words.quantity, "product": words.product,
        "amount": str(words.amount.amount) if words.amount else None,
        "currency": words.amount.currency if words.amount else context.settings.sales.currency,
        "customer_id": candidates[0].customer_id if len(candidates) == 1 else None,
    })
    return await FLOW.who.after_mention(update, context, candidates)


async def _what_it_does(context: BotContext, draft: dict[str, Any]
                        ) -> tuple[Any, Purchase | None, Money | None, bool, Any, str | None]:
    """The card's facts: customer, purchase, amount (and whether it is the units' share),
    what the return would settle, and the problem if it cannot be saved."""
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        if customer is None:
            return None, None, FLOW.money(draft, "amount"), False, None, None
        purchase = await payments.returnable(session, customer, draft.get("product"))
        amount, pro_rata = FLOW.money(draft, "amount"), False
        if purchase is not None and amount is None and draft.get("quantity"):
            share = payments.pro_rata(purchase, int(draft["quantity"]))
            if share is not None:
                amount, pro_rata = Money.from_minor(share, purchase.currency), True
        plan, problem = None, None
        if purchase is None:
            problem = context.t("Nothing to return: {name} has no purchase on record.").format(
                name=customer.name)
        elif amount is None:
            problem = context.t("How much was it? Tap Change amount.")
        elif amount.currency != purchase.currency:
            problem = context.t("That purchase was in {currency}; amounts are never "
                                "converted.").format(currency=purchase.currency)
        else:
            try:
                plan = await payments.plan_return(session, purchase, amount.minor,
                                                  draft.get("quantity"))
            except ValidationFailed as error:
                problem = error_text(error, context.t)
        return customer, purchase, amount, pro_rata, plan, problem


async def show_card(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = FLOW.draft(context)
    customer, purchase, amount, pro_rata, plan, problem = await _what_it_does(context, draft)
    await say(update, context, return_card(
        context.t, customer=customer, purchase=purchase, quantity=draft.get("quantity"),
        amount=amount, pro_rata=pro_rata, plan=plan, problem=problem,
        timezone=context.member.timezone),
        return_keyboard(context.t, can_save=plan is not None), edit=edit)
    return CONFIRM


FLOW = CardFlow("ret", "ret", show_card)


async def save(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    draft = FLOW.draft(context)
    if not draft.get("customer_id"):
        return await FLOW.customer_missing(update, context)
    customer, purchase, amount, _, plan, problem = await _what_it_does(context, draft)
    if purchase is None or amount is None or plan is None:
        await say(update, context, problem or context.t("How much was it? Tap Change amount."))
        return CONFIRM
    async with context.unit_of_work() as session:  # the plan as written, not as shown
        recorded = await payments.record_return(
            session, context.member, purchase.id, amount.minor,
            quantity=draft.get("quantity"), summary=draft.get("text", ""))
    lines = ["✅ " + context.t("Return of {amount} saved on {name}'s timeline.").format(
        amount=format_money(amount), name=customer.name)]
    if recorded.credit_minor:
        lines.append("💸 " + context.t("Refund due to the customer: {amount}").format(
            amount=format_money(Money.from_minor(recorded.credit_minor, amount.currency))))
    await say(update, context, "\n".join(lines), edit=True)
    forget(context, "ret")
    return ConversationHandler.END


async def ask_amount(update: Update, context: BotContext) -> int:
    return await FLOW.ask(update, context, context.t(
        "How much was sent back, in money? e.g. 1.2万, $1,200"))


async def got_amount(update: Update, context: BotContext) -> int:
    return await FLOW.money_answered(update, context, "amount")


async def write_off_command(update: Update, context: BotContext) -> None:
    """/writeoff <customer>: a manager picks the purchase whose rest is given up."""
    ensure_manager(context.member)
    customer_id = await one_customer_named(update, context, context.t(
        "Tell me whose debt to write off, e.g. /writeoff 王小明"))
    if customer_id is None:
        return
    async with context.unit_of_work() as session:
        customer = await load_customer(session, customer_id, context.member)
        owing = await payments.owing_purchases(session, customer)
        text, markup = write_off_choices(context.t, customer, owing, context.member.timezone)
    await say(update, context, text, markup)


WRITE_OFF = re.compile(r"^wo:(\d{1,10})$")


async def write_off_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, WRITE_OFF)
    if match is None:
        return
    await acknowledge(update)
    async with context.unit_of_work() as session:
        amount = await payments.write_off(session, context.member, int(match.group(1)),
                                          context.t("Written off by {name}").format(
                                              name=context.member.display_name))
        purchase = await session.get(Purchase, int(match.group(1)))
        assert purchase is not None
        await say(update, context, written_off(context.t, purchase, amount,
                                               context.member.timezone), edit=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("writeoff", write_off_command))
    app.add_handler(CallbackQueryHandler(write_off_pressed, pattern=r"^wo:\d{1,10}$"))
    app.add_handler(FLOW.conversation(
        entry_points=[CommandHandler("returned", FLOW.from_command(start_return, N_(
                          "Tell me who sent what back, e.g. /returned 王小明 5 台 X1"))),
                      MessageHandler(PRIVATE_TEXT & TextThat(reads_like_return),
                                     FLOW.from_message(start_return))],
        save=save, asks="amount", ask=ask_amount, answered=got_amount))

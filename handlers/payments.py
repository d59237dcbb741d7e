"""A payment in one message: "王总回款 10 万", "Acme paid $4,800" -> card -> one tap.

The card shows which purchases the payment pays, oldest first, and what is still owed;
more than is owed is asked about; a customer who owes nothing in that currency is told
so, and nothing is saved. The draft lives in user_data["pay"] (persisted).
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

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
    installment_received,
    payment_card,
    payment_keyboard,
    payment_saved,
    purchases_keyboard,
    receivables_text,
)
from bot.runtime.context import BotContext
from bot.understanding.logs import contact_and_follow_up_times
from bot.understanding.payments import payment_amount, reads_like_payment
from handlers.common import (
    PRIVATE_TEXT,
    TextThat,
    acknowledge,
    ceiling_minor,
    forget,
    pressed,
    say,
    team_day_first,
)
from handlers.flows import (
    CONFIRM,
    CardFlow,
    draft_customer,
    over_ceiling,
    stored,
    stored_time,
)
from storage import customers
from storage.clock import utcnow
from storage.errors import ValidationFailed
from storage.models import Installment
from storage.sales import payments, receivables
from storage.sales.purchases import check_amount
from storage.search.lookup import SearchHit


async def start_payment(update: Update, context: BotContext, text: str,
                        candidates: list[SearchHit]) -> int:
    amount = payment_amount(text, context.settings.sales.currency)
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    received = contact_and_follow_up_times(
        text, now, context.settings.reminders.default_hour, logging=True,
        day_first=team_day_first(context)).occurred
    FLOW.keep(context, {
        "text": text, "amount": str(amount.amount) if amount else None,
        "currency": amount.currency if amount else context.settings.sales.currency,
        "received": stored(received),
        "customer_id": candidates[0].customer_id if len(candidates) == 1 else None,
    })
    return await FLOW.who.after_mention(update, context, candidates)


async def show_card(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = FLOW.draft(context)
    amount = FLOW.money(draft, "amount")
    plan, problem = None, None
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        if customer is not None and amount is not None:
            try:
                plan = await payments.plan_payment(session, customer, amount.minor,
                                                   amount.currency, first=draft.get("first"))
            except ValidationFailed as error:
                problem = error_text(error, context.t)
        over = over_ceiling(context, amount)
        await say(update, context, payment_card(
            context.t, customer=customer, amount=amount, plan=plan, problem=problem,
            timezone=context.member.timezone, over_ceiling=over),
            payment_keyboard(context.t, more_than_owed=bool(plan and plan.credit_minor),
                             over_ceiling=over, can_save=problem is None,
                             choices=plan.owing if plan else 0),
            edit=edit)
    return CONFIRM


FLOW = CardFlow("pay", "pay", show_card)


async def save(update: Update, context: BotContext) -> int:
    query = update.callback_query
    ready = await FLOW.draft_to_save(update, context, "amount", context.t(
        "How much was paid? e.g. 10万, ¥3000, $4,800"))
    if isinstance(ready, int):
        return ready
    (draft, amount), t = ready, context.t
    sure = query is not None and query.data == "pay:sure"  # the card asked, and was told yes
    async with context.unit_of_work() as session:
        check_amount(amount.minor, ceiling_minor(context, amount.currency), confirmed=sure)
        received = await payments.record_payment(
            session, context.member, draft["customer_id"], amount.minor, amount.currency,
            summary=draft.get("text", ""), received_at=stored_time(draft.get("received")),
            more_than_owed=sure, first=draft.get("first"))
        customer = await customers.load_customer(session, draft["customer_id"], context.member)
        await say(update, context, payment_saved(t, customer=customer, amount=amount,
                                                 plan=received.plan,
                                                 timezone=context.member.timezone), edit=True)
    forget(context, "pay")
    return ConversationHandler.END


async def ask_purchase(update: Update, context: BotContext) -> int:
    """🔀 Apply to another purchase: the customer's purchases that owe, a button each."""
    await acknowledge(update)
    draft = FLOW.draft(context)
    amount = FLOW.money(draft, "amount")
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        owing = await payments.open_purchases(session, customer, amount.currency) \
            if customer is not None and amount is not None else []
    await say(update, context, context.t("Which purchase does it pay first?"),
              purchases_keyboard(owing, context.member.timezone, context.t))
    return CONFIRM


async def purchase_chosen(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, re.compile(r"^pay:to:(\d{1,10})$"))
    if match is None:
        return CONFIRM
    await acknowledge(update)
    draft = FLOW.draft(context)
    draft["first"] = int(match.group(1))
    FLOW.keep(context, draft)
    return await show_card(update, context, edit=True)


async def ask_amount(update: Update, context: BotContext) -> int:
    return await FLOW.ask(update, context,
                          context.t("How much was paid? e.g. 10万, ¥3000, $4,800"))


async def got_amount(update: Update, context: BotContext) -> int:
    return await FLOW.money_answered(update, context, "amount")


INSTALLMENT = re.compile(r"^inst:(\d{1,10}):(paid|part)$")


async def installment_received_pressed(update: Update, context: BotContext) -> None:
    """✅ Received under an installment's reminder: what it still owed, in one tap."""
    match = await pressed(update, context, INSTALLMENT)
    if match is None:
        return
    await acknowledge(update)
    async with context.unit_of_work() as session:
        installment, amount = await payments.record_installment_paid(
            session, context.member, int(match.group(1)))
    query = update.callback_query
    assert query is not None and query.message is not None
    asked = getattr(query.message, "text_html", None) or ""
    await say(update, context, asked + "\n\n" + installment_received(
        context.t, installment, amount), edit=True)


async def part_received_pressed(update: Update, context: BotContext) -> int:
    """💵 Part received: the payment card for that customer, asking how much."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await acknowledge(update)
    async with context.unit_of_work() as session:
        installment = await session.get(Installment, int(query.data.split(":")[1]))
        customer_id = installment.customer_id if installment else None
        if customer_id is not None:
            await customers.load_customer(session, customer_id, context.member)
    if customer_id is None:
        await say(update, context, context.t("That installment no longer exists."))
        return ConversationHandler.END
    FLOW.keep(context, {"text": "", "amount": None, "received": None,
                        "currency": context.settings.sales.currency,
                        "customer_id": customer_id})
    return await ask_amount(update, context)


async def receivables_command(update: Update, context: BotContext) -> None:
    today = utcnow().astimezone(ZoneInfo(context.member.timezone)).date()
    async with context.unit_of_work() as session:
        aging = await receivables.aging(session, context.member, today)
    await say(update, context, receivables_text(context.t, aging,
                                                per_owner=context.member.is_manager))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("receivables", receivables_command))
    app.add_handler(CallbackQueryHandler(installment_received_pressed,
                                         pattern=r"^inst:\d{1,10}:paid$"))
    app.add_handler(FLOW.conversation(
        entry_points=[CommandHandler("paid", FLOW.from_command(start_payment, N_(
                          "Tell me who paid and how much, e.g. /paid 王小明 10万"))),
                      CallbackQueryHandler(part_received_pressed,
                                           pattern=r"^inst:\d{1,10}:part$"),
                      MessageHandler(PRIVATE_TEXT & TextThat(reads_like_payment),
                                     FLOW.from_message(start_payment))],
        save=save, asks="amount", ask=ask_amount, answered=got_amount,
        more_confirm=[CallbackQueryHandler(ask_purchase, pattern=r"^pay:to$"),
                      CallbackQueryHandler(purchase_chosen, pattern=r"^pay:to:\d{1,10}$")]))

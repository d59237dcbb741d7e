"""A customer's purchases and what each owes (💴 on the card), a plan for a saved purchase
through buttons (equal monthly parts, or typed), and an installment's invoice (开票).

The plan's draft lives in user_data["plan"] (persisted) until Save; the invoice's
installment in user_data["invoice"] while its number is awaited.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
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

from bot.messages.plans import (
    invoice_question,
    plan_card,
    plan_card_keyboard,
    plan_choices_keyboard,
    plan_question,
    plan_typing_hint,
    purchase_money_keyboard,
    purchase_money_text,
    purchases_money_keyboard,
    purchases_money_text,
)
from bot.runtime.context import BotContext
from bot.understanding.amounts import Money
from bot.understanding.dates import Prefer, find_when
from bot.understanding.plans import understand_plan
from handlers.common import (
    PRIVATE_TEXT,
    acknowledge,
    cancel_flow,
    forget,
    pressed,
    say,
    team_day_first,
)
from storage import customers
from storage.clock import utcnow
from storage.errors import N_, ValidationFailed
from storage.models import Installment, Purchase
from storage.sales import plans

CHOOSE, TYPED, SAVE = range(3)
WAIT_INVOICE = 0


def _now(context: BotContext) -> datetime:
    return utcnow().astimezone(ZoneInfo(context.member.timezone))


# ---- what the customer's purchases owe --------------------------------------------------

async def purchases_pressed(update: Update, context: BotContext) -> None:
    """💴 on the card: the latest purchases, each with where it stands."""
    match = await pressed(update, context, re.compile(r"^money:(\d{1,10})$"))
    if match is None:
        return
    await acknowledge(update)
    tz = context.member.timezone
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, int(match.group(1)), context.member)
        found = await plans.purchases_money(session, customer, _now(context).date())
        await say(update, context, purchases_money_text(context.t, customer, found, tz),
                  purchases_money_keyboard(found, tz, context.t))


async def purchase_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, re.compile(r"^pm:(\d{1,10})$"))
    if match is None:
        return
    await acknowledge(update)
    await show_purchase(update, context, int(match.group(1)), edit=True)


async def show_purchase(update: Update, context: BotContext, purchase_id: int, *,
                        edit: bool = False, note: str | None = None) -> None:
    async with context.unit_of_work() as session:
        money = await plans.purchase_money(session, context.member, purchase_id,
                                           _now(context).date())
        text = purchase_money_text(context.t, money, context.member.timezone)
        await say(update, context, f"{note}\n\n{text}" if note else text,
                  purchase_money_keyboard(context.t, money), edit=edit)


# ---- a plan through buttons -------------------------------------------------------------

async def _purchase(context: BotContext, purchase_id: int) -> Purchase:
    async with context.unit_of_work() as session:
        return await plans.load_purchase(session, context.member, purchase_id)


async def ask_plan(update: Update, context: BotContext) -> int:
    """🗓 Payment plan: equal monthly parts, or typed."""
    match = await pressed(update, context, re.compile(r"^plan:(\d{1,10})$"))
    if match is None:
        return ConversationHandler.END
    await acknowledge(update)
    purchase = await _purchase(context, int(match.group(1)))
    context.user_data["plan"] = {"purchase_id": purchase.id, "plan": []}  # type: ignore[index]
    await say(update, context, plan_question(context.t, purchase, context.member.timezone),
              plan_choices_keyboard(context.t, purchase.id))
    return CHOOSE


async def monthly_chosen(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, re.compile(r"^plan:(\d{1,10}):(\d{1,2})$"))
    if match is None:
        return CHOOSE
    await acknowledge(update)
    purchase = await _purchase(context, int(match.group(1)))
    plan = plans.monthly(purchase.amount_minor, int(match.group(2)), _now(context).date())
    return await _show_plan(update, context, purchase, plan, edit=True)


async def ask_typed(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    await say(update, context, plan_typing_hint(context.t))
    return TYPED


async def plan_typed(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = (context.user_data or {}).get("plan")
    if not draft:
        return ConversationHandler.END
    purchase = await _purchase(context, draft["purchase_id"])
    total = Money.from_minor(purchase.amount_minor, purchase.currency)
    said = understand_plan(message.text, total, _now(context),
                           default_hour=context.settings.reminders.default_hour,
                           day_first=team_day_first(context), alone=True)
    if not said:
        await say(update, context, context.t(
            "I could not read a plan in that: each part needs a day and an amount (or a "
            "share).") + "\n" + plan_typing_hint(context.t))
        return TYPED
    plan = [(part.due_on, Money(part.amount.amount, purchase.currency).minor) for part in said]
    return await _show_plan(update, context, purchase, plan)


async def _show_plan(update: Update, context: BotContext, purchase: Purchase,
                     plan: list[tuple[date, int]], *, edit: bool = False) -> int:
    context.user_data["plan"] = {  # type: ignore[index]
        "purchase_id": purchase.id, "plan": [[day.isoformat(), minor] for day, minor in plan]}
    shown = [(day, Money.from_minor(minor, purchase.currency)) for day, minor in plan]
    await say(update, context, plan_card(context.t, purchase, shown, context.member.timezone),
              plan_card_keyboard(context.t, purchase.id, adds_up=sum(
                  minor for _, minor in plan) == purchase.amount_minor), edit=edit)
    return SAVE


async def save_plan(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    draft = (context.user_data or {}).get("plan")
    if not draft or not draft.get("plan"):
        return ConversationHandler.END
    zone = ZoneInfo(context.member.timezone)
    hour = time(context.settings.reminders.default_hour)
    async with context.unit_of_work() as session:
        installments = await plans.replan(
            session, context.member, draft["purchase_id"],
            [(date.fromisoformat(day), int(minor)) for day, minor in draft["plan"]],
            today=_now(context).date(),
            remind_at=lambda day: datetime.combine(day, hour, tzinfo=zone).astimezone(UTC))
    forget(context, "plan")
    await show_purchase(update, context, draft["purchase_id"], edit=True, note="✅ " + context.t(
        "Plan saved: {count} installments, each with a reminder on its day.").format(
            count=len(installments)))
    return ConversationHandler.END


async def cancel_plan(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "plan")


# ---- an installment's invoice -----------------------------------------------------------

async def ask_invoice(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, re.compile(r"^inv:(\d{1,10})$"))
    if match is None:
        return ConversationHandler.END
    await acknowledge(update)
    async with context.unit_of_work() as session:
        installment = await session.get(Installment, int(match.group(1)))
        if installment is None:
            raise ValidationFailed("installment", N_("That installment no longer exists."))
        await customers.load_customer(session, installment.customer_id, context.member)
    context.user_data["invoice"] = installment.id  # type: ignore[index]
    await say(update, context, invoice_question(context.t, installment))
    return WAIT_INVOICE


async def invoice_answered(update: Update, context: BotContext) -> int:
    """"FP2026-001 12月10日": the number, and the day when one is said (today if not)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    installment_id = (context.user_data or {}).get("invoice")
    if not isinstance(installment_id, int):
        return ConversationHandler.END
    now = _now(context)
    found = find_when(message.text, now, default_hour=context.settings.reminders.default_hour,
                      prefer=Prefer.PAST, day_first=team_day_first(context))
    number, issued = message.text, now.date()
    if found is not None and found.text:
        number, issued = message.text.replace(found.text, " "), found.at.date()
    if issued > now.date():
        await say(update, context, context.t("An invoice cannot be dated after today. Send "
                                             "the number and the day it was issued."))
        return WAIT_INVOICE
    async with context.unit_of_work() as session:
        installment = await plans.record_invoice(session, context.member, installment_id,
                                                 number, issued)
        purchase_id = installment.purchase_id
    forget(context, "invoice")
    await show_purchase(update, context, purchase_id, note="🧾 " + context.t(
        "Invoice {number} of {day} saved.").format(number=installment.invoice_no,
                                                   day=issued.isoformat()))
    return ConversationHandler.END


async def cancel_invoice(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "invoice")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(purchases_pressed, pattern=r"^money:"))
    app.add_handler(CallbackQueryHandler(purchase_pressed, pattern=r"^pm:"))
    app.add_handler(ConversationHandler(
        name="plan",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(ask_plan, pattern=r"^plan:\d{1,10}$")],
        states={
            CHOOSE: [CallbackQueryHandler(monthly_chosen, pattern=r"^plan:\d{1,10}:\d{1,2}$"),
                     CallbackQueryHandler(ask_typed, pattern=r"^plan:\d{1,10}:type$")],
            TYPED: [MessageHandler(PRIVATE_TEXT, plan_typed)],
            SAVE: [CallbackQueryHandler(save_plan, pattern=r"^plan:save$")],
        },
        fallbacks=[CommandHandler("cancel", cancel_plan),
                   CallbackQueryHandler(cancel_plan, pattern=r"^plan:cancel$")],
    ))
    app.add_handler(ConversationHandler(
        name="invoice",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(ask_invoice, pattern=r"^inv:\d{1,10}$")],
        states={WAIT_INVOICE: [MessageHandler(PRIVATE_TEXT, invoice_answered)]},
        fallbacks=[CommandHandler("cancel", cancel_invoice)],
    ))

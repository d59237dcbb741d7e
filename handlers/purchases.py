"""A purchase in one message: "王总 买了 20 台 X1，共 4.8 万" -> card -> one tap.

The draft lives in user_data["buy"] (persisted), as the log flow's does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.i18n import N_
from bot.messages.keyboards import button
from bot.messages.plans import plan_button
from bot.messages.sales import (
    purchase_card,
    purchase_keyboard,
    purchase_saved,
    satisfaction_keyboard,
    satisfaction_question,
    satisfaction_saved,
)
from bot.runtime.context import BotContext
from bot.understanding.amounts import Money
from bot.understanding.logs import contact_and_follow_up_times
from bot.understanding.plans import plan_start, purchase_with_plan
from bot.understanding.sales import reads_like_purchase
from handlers.common import (
    PRIVATE_TEXT,
    TextThat,
    acknowledge,
    cancel_flow,
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
from storage.sales import plans, purchases, satisfaction
from storage.search.lookup import SearchHit

WAIT_COMMENT = 3  # the comment's own conversation, after CardFlow's steps


async def start_purchase(update: Update, context: BotContext, text: str,
                         candidates: list[SearchHit]) -> int:
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    hour, day_first = context.settings.reminders.default_hour, team_day_first(context)
    words, plan = purchase_with_plan(text, context.settings.sales.currency, now,
                                     default_hour=hour, day_first=day_first)
    # A plan's days ("12月15日 10万") say nothing of when the purchase happened.
    start = plan_start(text)
    occurred = contact_and_follow_up_times(text[:start] if start else text, now, hour,
                                           logging=True, day_first=day_first).occurred
    FLOW.keep(context, {
        "text": text, "product": words.product, "quantity": words.quantity,
        "amount": str(words.amount.amount) if words.amount else None,
        "currency": words.amount.currency if words.amount else context.settings.sales.currency,
        "occurred": stored(occurred),
        "plan": [[part.due_on.isoformat(), str(part.amount.amount)] for part in plan],
        "customer_id": candidates[0].customer_id if len(candidates) == 1 else None,
    })
    return await FLOW.who.after_mention(update, context, candidates)


async def show_card(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = FLOW.draft(context)
    amount = FLOW.money(draft, "amount")
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        value = await purchases.value_of(session, customer) if customer else None
        over = over_ceiling(context, amount)
        plan = planned(draft)
        await say(update, context, purchase_card(
            context.t, customer=customer, amount=amount, product=draft.get("product"),
            quantity=draft.get("quantity"), occurred=stored_time(draft.get("occurred")),
            value=value, timezone=context.member.timezone, over_ceiling=over, plan=plan),
            purchase_keyboard(context.t, over_ceiling=over,
                              plan_off=bool(plan) and not adds_up(plan, amount)), edit=edit)
    return CONFIRM


def planned(draft: dict[str, Any]) -> list[tuple[date, Money]]:
    return [(date.fromisoformat(day), Money(Decimal(amount), draft["currency"]))
            for day, amount in draft.get("plan") or []]


def adds_up(plan: list[tuple[date, Money]], amount: Money | None) -> bool:
    return amount is not None and sum((m.minor for _, m in plan), 0) == amount.minor


FLOW = CardFlow("buy", "buy", show_card)


# ---- the card's buttons and answers -----------------------------------------------------

async def save(update: Update, context: BotContext) -> int:
    query = update.callback_query
    ready = await FLOW.draft_to_save(update, context, "amount", context.t(
        "How much was it? e.g. 4.8万, ¥3000, $4,800"))
    if isinstance(ready, int):
        return ready
    (draft, amount), t = ready, context.t
    sales = context.settings.sales
    async with context.unit_of_work() as session:
        recorded = await purchases.record_purchase(
            session, context.member, purchases.PurchaseDraft(
                customer_id=draft["customer_id"], amount_minor=amount.minor,
                currency=amount.currency, product=draft.get("product"),
                quantity=draft.get("quantity"), occurred_at=stored_time(draft.get("occurred")),
                summary=draft.get("text", "")),
            loyal_within=timedelta(days=sales.loyal_within_days),
            ceiling_minor=ceiling_minor(context, amount.currency),
            confirmed=query is not None and query.data == "buy:sure")
        plan = planned(draft)
        with_plan = bool(plan) and adds_up(plan, amount)
        if with_plan:  # one that does not is left off (the card said)
            zone = ZoneInfo(context.member.timezone)
            hour = time(context.settings.reminders.default_hour)
            await plans.set_plan(
                session, recorded.purchase, [(day, money.minor) for day, money in plan],
                today=utcnow().astimezone(zone).date(),
                remind_at=lambda day: datetime.combine(day, hour, tzinfo=zone).astimezone(UTC))
        customer = await customers.load_customer(session, draft["customer_id"], context.member)
        await say(update, context, purchase_saved(
            t, customer=customer, amount=amount, stage_before=recorded.stage_before,
            value=recorded.value, timezone=context.member.timezone)
            + satisfaction_question(t, customer.name),
            satisfaction_keyboard(customer.id, recorded.purchase.id,
                                  then=[] if with_plan else [plan_button(t, recorded.purchase.id)]),
            edit=True)
    forget(context, "buy")
    return ConversationHandler.END


async def ask_amount(update: Update, context: BotContext) -> int:
    return await FLOW.ask(update, context,
                          context.t("How much was it? e.g. 4.8万, ¥3000, $4,800"))


async def got_amount(update: Update, context: BotContext) -> int:
    return await FLOW.money_answered(update, context, "amount")


# ---- satisfaction, asked under a saved purchase or a finished follow-up -----------------

SCORE = re.compile(r"^sat:(\d{1,10}):(\d{1,10}):([1-5])$")


async def score_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, SCORE)
    if match is None:
        return
    customer_id, purchase_id, score = (int(g) for g in match.groups())
    await acknowledge(update)
    async with context.unit_of_work() as session:
        recorded = await satisfaction.record_score(
            session, context.member, customer_id, score, purchase_id=purchase_id or None,
            default_hour=context.settings.reminders.default_hour)
        query = update.callback_query
        assert query is not None and query.message is not None
        asked = getattr(query.message, "text_html", None) or ""
        await say(update, context, asked.rsplit("\n\n", 1)[0] + "\n\n" + satisfaction_saved(
            context.t, score, recorded.followup.due_at if recorded.followup else None,
            context.member.timezone), InlineKeyboardMarkup([[button(
                "💬 " + context.t("Add a comment"),
                f"satc:{recorded.satisfaction.id}")]]), edit=True)


async def ask_comment(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    await acknowledge(update)
    context.user_data["sat_comment"] = int(query.data.split(":")[1])
    await say(update, context, context.t("What did the customer say? (or /cancel)"))
    return WAIT_COMMENT


async def got_comment(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    satisfaction_id = (context.user_data or {}).get("sat_comment")
    if satisfaction_id is None:
        return ConversationHandler.END
    async with context.unit_of_work() as session:
        await satisfaction.add_comment(session, context.member, satisfaction_id, message.text)
    forget(context, "sat_comment")
    await say(update, context, "💬 " + context.t("Comment saved."))
    return ConversationHandler.END


async def cancel_comment(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "sat_comment")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(score_pressed, pattern=r"^sat:"))
    app.add_handler(ConversationHandler(
        name="sat_comment",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(ask_comment, pattern=r"^satc:\d{1,10}$")],
        states={WAIT_COMMENT: [MessageHandler(PRIVATE_TEXT, got_comment)]},
        fallbacks=[CommandHandler("cancel", cancel_comment)],
    ))
    app.add_handler(FLOW.conversation(
        entry_points=[CommandHandler("buy", FLOW.from_command(start_purchase, N_(
                          "Tell me what was bought, e.g. /buy 王小明 20 台 X1 共 4.8 万"))),
                      MessageHandler(PRIVATE_TEXT & TextThat(reads_like_purchase),
                                     FLOW.from_message(start_purchase))],
        save=save, asks="amount", ask=ask_amount, answered=got_amount))

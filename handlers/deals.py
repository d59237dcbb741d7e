"""Deals in one sentence, moved with one tap, and /pipeline.

"王总的 X1 项目 预计 30 万 下月底签" (or /deal …, or New deal on a customer's card) ->
a card to confirm -> the deal, with its next stage, won and lost as buttons. The draft
lives in user_data["deal"] (persisted).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
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

from bot.messages.labels import deal_stage_label
from bot.messages.sales import (
    deal_card,
    deal_draft_card,
    deal_draft_keyboard,
    deal_keyboard,
    deals_keyboard,
    pipeline_keyboard,
    pipeline_text,
)
from bot.runtime.context import BotContext
from bot.understanding.sales import reads_like_deal, understand_deal
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
    WAIT_CUSTOMER,
    CardFlow,
    command_text,
    customers_named,
    draft_customer,
    mentioned_in_message,
    over_ceiling,
)
from storage import customers
from storage.clock import utcnow
from storage.errors import Conflict
from storage.sales import deals

WAIT_SENTENCE = 3  # after CardFlow's steps
MOVE = re.compile(r"^deal:(\d{1,10}):(\w{1,16}):(\w{1,16})$")
VIEW = re.compile(r"^deal:(\d{1,10}):(open|stages)$")
STAGE_LIST = re.compile(r"^pipe:(\w{1,16}):([tm])$")


def _today(context: BotContext) -> date:
    return utcnow().astimezone(ZoneInfo(context.member.timezone)).date()


async def start_deal(update: Update, context: BotContext, text: str,
                     customer_ids: list[int], names: dict[int, str]) -> int:
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    only = customer_ids[0] if len(customer_ids) == 1 else None
    words = understand_deal(text, default_currency=context.settings.sales.currency, now=now,
                            default_hour=context.settings.reminders.default_hour,
                            customer_name=names.get(only) if only else None,
                            day_first=team_day_first(context))
    FLOW.keep(context, {
        "title": words.title or text[:100], "customer_id": only,
        "value": str(words.value.amount) if words.value else None,
        "currency": words.value.currency if words.value else context.settings.sales.currency,
        "close_on": words.close_on.isoformat() if words.close_on else None})
    if only is None:
        await say(update, context, context.t(
            "Which customer is this about? Send a name, code or phone (or /cancel)."))
        return WAIT_CUSTOMER
    return await show_draft(update, context)


async def show_draft(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = FLOW.draft(context)
    value = FLOW.money(draft, "value")
    over = over_ceiling(context, value)
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        await say(update, context, deal_draft_card(
            context.t, customer=customer, title=draft.get("title", ""), value=value,
            close_on=date.fromisoformat(draft["close_on"]) if draft.get("close_on") else None,
            over_ceiling=over), deal_draft_keyboard(context.t, over_ceiling=over), edit=edit)
    return CONFIRM


FLOW = CardFlow("deal", "newdeal", show_draft)


# ---- entry points -----------------------------------------------------------------------

async def plain_deal(update: Update, context: BotContext) -> int:
    text, hits = await mentioned_in_message(update, context)
    return await start_deal(update, context, text, [h.customer_id for h in hits],
                            {h.customer_id: h.name for h in hits})


async def deal_command(update: Update, context: BotContext) -> int:
    text = command_text(update)
    if not text:
        await say(update, context, context.t(
            "Tell me about the deal, e.g. /deal 王小明 X1 项目 预计 30 万 下月底签"))
        return ConversationHandler.END
    hits = await customers_named(context, text)
    return await start_deal(update, context, text, [h.customer_id for h in hits],
                            {h.customer_id: h.name for h in hits})


async def from_card(update: Update, context: BotContext) -> int:
    """New deal on a customer's card: the next message describes it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    customer_id = int(query.data.split(":")[1])
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, customer_id, context.member)
    await acknowledge(update)
    FLOW.keep(context, {"customer_id": customer.id, "name": customer.name})
    await say(update, context, context.t(
        "Describe the deal for {name}, e.g. X1 项目 预计 30 万 下月底签").format(
            name=customer.name))
    return WAIT_SENTENCE


async def got_sentence(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = FLOW.draft(context)
    return await start_deal(update, context, message.text, [draft["customer_id"]],
                            {draft["customer_id"]: draft.get("name", "")})


# ---- the draft card ---------------------------------------------------------------------

async def save(update: Update, context: BotContext) -> int:
    query = update.callback_query
    await acknowledge(update)
    draft = FLOW.draft(context)
    if not draft.get("customer_id"):
        return await FLOW.customer_missing(update, context)
    value = FLOW.money(draft, "value")
    async with context.unit_of_work() as session:
        deal = await deals.create_deal(session, context.member, deals.DealDraft(
            customer_id=draft["customer_id"], title=draft.get("title", ""),
            value_minor=value.minor if value else None, currency=draft["currency"],
            close_on=date.fromisoformat(draft["close_on"]) if draft.get("close_on") else None),
            ceiling_minor=ceiling_minor(context, draft["currency"]),
            confirmed=query is not None and query.data == "newdeal:sure")
        await session.refresh(deal, ["customer", "owner"])
        await say(update, context, "✅ " + context.t("Deal saved.") + "\n\n" + deal_card(
            context.t, deal, _today(context)), deal_keyboard(context.t, deal), edit=True)
    forget(context, "deal")
    return ConversationHandler.END


async def ask_value(update: Update, context: BotContext) -> int:
    return await FLOW.ask(update, context, context.t("What is the deal worth? e.g. 30万, $30k"))


async def got_value(update: Update, context: BotContext) -> int:
    return await FLOW.money_answered(update, context, "value")


# ---- a saved deal: its card, its moves, the pipeline ------------------------------------

async def view(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, VIEW)
    if match is None:
        return
    await acknowledge(update)
    async with context.unit_of_work() as session:
        deal = await deals.load_deal(session, context.member, int(match.group(1)))
        await say(update, context, deal_card(context.t, deal, _today(context)),
                  deal_keyboard(context.t, deal, all_stages=match.group(2) == "stages"),
                  edit=match.group(2) == "stages")


async def move(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, MOVE)
    if match is None:
        return
    deal_id, expected, to = int(match.group(1)), match.group(2), match.group(3)
    sales, t = context.settings.sales, context.t
    try:
        async with context.unit_of_work() as session:
            deal = await deals.load_deal(session, context.member, deal_id)
            await deals.move_deal(
                session, context.member, deal_id, expected=expected, to=to,
                loyal_within=timedelta(days=sales.loyal_within_days),
                ceiling_minor=ceiling_minor(context, deal.currency))
    except Conflict:
        async with context.unit_of_work() as session:
            deal = await deals.load_deal(session, context.member, deal_id)
            await acknowledge(update, t("Someone moved this deal first: it is at “{stage}” now. "
                                        "Nothing was changed.").format(
                                            stage=deal_stage_label(t, deal.stage)), alert=True)
            await say(update, context, deal_card(t, deal, _today(context)),
                      deal_keyboard(t, deal), edit=True)
        return
    await acknowledge(update)
    async with context.unit_of_work() as session:
        deal = await deals.load_deal(session, context.member, deal_id)
        note = "📈 " + t("Moved: {before} → {after}").format(
            before=deal_stage_label(t, expected), after=deal_stage_label(t, deal.stage))
        if deal.purchase_id:
            note += "\n🛒 " + t("The purchase is on the customer's timeline.")
        await say(update, context, note + "\n\n" + deal_card(t, deal, _today(context)),
                  deal_keyboard(t, deal), edit=True)


async def pipeline_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    words = (message.text or "").split()[1:] if message else []
    team = context.member.is_manager and "me" not in words and "我" not in words
    async with context.unit_of_work() as session:
        sums = await deals.pipeline(session, context.member, team=team)
    await say(update, context, pipeline_text(context.t, sums, team=team),
              pipeline_keyboard(context.t, sums, team=team))


async def stage_list(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, STAGE_LIST)
    if match is None:
        return
    await acknowledge(update)
    stage, team = match.group(1), match.group(2) == "t"
    async with context.unit_of_work() as session:
        found = await deals.deals_in(session, context.member, stage, team=team)
    if not found:
        await say(update, context, context.t("No deals at this stage."))
        return
    await say(update, context, "💼 " + deal_stage_label(context.t, stage),
              deals_keyboard(found))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(FLOW.conversation(
        entry_points=[CommandHandler("deal", deal_command),
                      CallbackQueryHandler(from_card, pattern=r"^c:\d{1,10}:deal$"),
                      MessageHandler(PRIVATE_TEXT & TextThat(reads_like_deal), plain_deal)],
        save=save, asks="value", ask=ask_value, answered=got_value,
        more_states={WAIT_SENTENCE: [MessageHandler(PRIVATE_TEXT, got_sentence)]}))
    app.add_handler(CommandHandler("pipeline", pipeline_command))
    app.add_handler(CallbackQueryHandler(view, pattern=r"^deal:\d{1,10}:(open|stages)$"))
    app.add_handler(CallbackQueryHandler(move, pattern=r"^deal:\d{1,10}:\w{1,16}:\w{1,16}$"))
    app.add_handler(CallbackQueryHandler(stage_list, pattern=r"^pipe:\w{1,16}:[tm]$"))

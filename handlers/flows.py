"""The steps the one-message flows share: the log, the purchase and the deal each read a
message into a draft, show it on a card, ask for the customer or one missing value, and
save on a tap. What differs (the card, the save, the question) stays in the feature's
module; what they all do is here, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.customers import candidates_keyboard
from bot.runtime.context import BotContext
from bot.understanding.amounts import AmountError, Money, parse_amount
from handlers.common import PRIVATE_TEXT, acknowledge, cancel_flow, ceiling_minor, say
from storage.customers import load_customer
from storage.models import Customer
from storage.search.lookup import SearchHit, customers_mentioned, search_customers


async def customer_from_answer(update: Update, context: BotContext, prefix: str) -> int | None:
    """The customer a typed answer names, in a flow waiting for one: its id, or None
    after asking again (nobody found, or a button per candidate with `prefix`)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with context.unit_of_work() as session:
        hits = await search_customers(session, message.text, context.member, limit=8)
    if not hits:
        await say(update, context, context.t(
            "Nobody found for that. Try another name, or /add the customer first."))
        return None
    if len(hits) > 1:
        await say(update, context, context.t("Which customer?"),
                  candidates_keyboard(hits, prefix))
        return None
    return hits[0].customer_id


class CustomerQuestion:
    """The steps of a flow that asks which customer a draft is about: the question, a typed
    answer, a candidate's button; each ends by showing the flow's card again."""

    def __init__(self, draft: str, prefix: str, show: Callable[..., Awaitable[int]],
                 waiting: int) -> None:
        self.draft, self.prefix, self.show, self.waiting = draft, prefix, show, waiting

    async def after_mention(self, update: Update, context: BotContext,
                            candidates: list[SearchHit]) -> int:
        """The card when the message named one customer; otherwise the question (with a
        button per candidate when it named several)."""
        if len(candidates) > 1:
            await say(update, context, context.t("Which customer?"),
                      candidates_keyboard(candidates, self.prefix))
            return self.waiting
        if not candidates:
            await say(update, context, context.t(
                "Which customer is this about? Send a name, code or phone (or /cancel)."))
            return self.waiting
        return await self.show(update, context)

    async def ask(self, update: Update, context: BotContext) -> int:
        await acknowledge(update)
        await say(update, context, context.t("Which customer? Send a name, code or phone."))
        return self.waiting

    async def answered(self, update: Update, context: BotContext) -> int:
        customer_id = await customer_from_answer(update, context, self.prefix)
        if customer_id is None:
            return self.waiting
        await set_draft_customer(context, self.draft, customer_id)
        return await self.show(update, context)

    async def picked(self, update: Update, context: BotContext) -> int:
        await acknowledge(update)
        await set_draft_customer(context, self.draft, picked_customer_id(update))
        return await self.show(update, context, edit=True)


def picked_customer_id(update: Update) -> int:
    """The customer of a candidate button (`prefix:ID`)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return int(query.data.rsplit(":", 1)[1])


async def set_draft_customer(context: BotContext, draft: str, customer_id: int) -> None:
    """The flow's draft gets the customer, once the member may see them."""
    async with context.unit_of_work() as session:
        await load_customer(session, customer_id, context.member)  # rights check
    assert context.user_data is not None
    context.user_data[draft] = {**context.user_data.get(draft, {}), "customer_id": customer_id}


async def amount_from_answer(update: Update, context: BotContext) -> Money | None:
    """An amount typed as an answer (4.8万, $4,800), more than zero; None after saying
    why it could not be used."""
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        amount = parse_amount(message.text, context.settings.sales.currency)
    except AmountError:
        await say(update, context, context.t(
            "I could not read one amount in that. Send just the amount, e.g. 4.8万 or $4,800."))
        return None
    if amount.amount <= 0:
        await say(update, context, context.t("An amount must be more than zero."))
        return None
    return amount


# A step of a flow: PTB calls it with the update and the context; it returns the next step.
Step = Callable[[Update, BotContext], Coroutine[Any, Any, int]]
# A flow's start from a text and the customers it names.
Start = Callable[[Update, BotContext, str, list[SearchHit]], Coroutine[Any, Any, int]]
Handlers = list[BaseHandler[Update, Any, Any]]

# The steps every card flow has, in this order. A member's step is kept with the
# conversation in the database (DESIGN decision 8): these numbers must not change.
CONFIRM, WAIT_VALUE, WAIT_CUSTOMER = range(3)


class CardFlow:
    """A flow that reads one message into a draft, shows it on a card and saves it on a
    tap: the log, the purchase, the deal.

    The draft lives in user_data[name], kept with the conversation. The card's buttons are
    `{prefix}:save`, one that asks for the value the card may lack (`{prefix}:{asks}`),
    `{prefix}:who` and `{prefix}:cancel`; a typed answer then gives that value, or names
    the customer (a button `{prefix}:pick:ID` each when several match). A feature brings
    its card (`show`), its save and its question; the steps they share are written here.
    """

    def __init__(self, name: str, prefix: str, show: Callable[..., Awaitable[int]]) -> None:
        self.name, self.prefix = name, prefix
        self.who = CustomerQuestion(name, f"{prefix}:pick", show, WAIT_CUSTOMER)

    def draft(self, context: BotContext) -> dict[str, Any]:
        return dict((context.user_data or {}).get(self.name, {}))

    def keep(self, context: BotContext, draft: dict[str, Any]) -> None:
        assert context.user_data is not None
        context.user_data[self.name] = draft

    @staticmethod
    def money(draft: dict[str, Any], field: str) -> Money | None:
        """The amount kept in the draft's `field` (with its `currency`), if any."""
        return Money(Decimal(draft[field]), draft["currency"]) if draft.get(field) else None

    def from_message(self, start: Start) -> Step:
        """The flow begun by a plain message: its text and the customers it names."""
        async def begin(update: Update, context: BotContext) -> int:
            text, candidates = await mentioned_in_message(update, context)
            return await start(update, context, text, candidates)
        return begin

    def from_command(self, start: Start, usage: str) -> Step:
        """The flow begun by its command; with nothing after it, `usage` (an N_ text)."""
        async def begin(update: Update, context: BotContext) -> int:
            text = command_text(update)
            if not text:
                await say(update, context, context.t(usage))
                return ConversationHandler.END
            return await start(update, context, text, await customers_named(context, text))
        return begin

    async def draft_to_save(self, update: Update, context: BotContext, field: str,
                            question: str) -> tuple[dict[str, Any], Money] | int:
        """On Save: the draft and its amount, or the step that asks for what is missing
        (the customer, or the amount with `question`)."""
        await acknowledge(update)
        draft = self.draft(context)
        amount = self.money(draft, field)
        if not draft.get("customer_id"):
            return await self.customer_missing(update, context)
        if amount is None or amount.amount <= 0:
            await say(update, context, question)
            return WAIT_VALUE
        return draft, amount

    async def customer_missing(self, update: Update, context: BotContext) -> int:
        """Save was pressed before the card knew its customer: ask for one."""
        await say(update, context, context.t(
            "Which customer is this about? Send a name, code or phone."))
        return WAIT_CUSTOMER

    async def ask(self, update: Update, context: BotContext, question: str) -> int:
        await acknowledge(update)
        await say(update, context, question)
        return WAIT_VALUE

    async def money_answered(self, update: Update, context: BotContext, field: str) -> int:
        """A typed amount for the draft's `field`; then the card again."""
        amount = await amount_from_answer(update, context)
        if amount is None:
            return WAIT_VALUE
        draft = self.draft(context)
        draft[field], draft["currency"] = str(amount.amount), amount.currency
        self.keep(context, draft)
        return await self.who.show(update, context)

    async def cancel(self, update: Update, context: BotContext) -> int:
        return await cancel_flow(update, context, self.name)

    def conversation(self, *, entry_points: Handlers, save: Step, saves: str = "save|sure",
                     asks: str, ask: Step, answered: Step, more_confirm: Handlers | None = None,
                     more_states: dict[object, Handlers] | None = None
                     ) -> ConversationHandler[Any]:
        prefix = self.prefix
        cancel: BaseHandler[Update, Any, Any] = CallbackQueryHandler(
            self.cancel, pattern=rf"^{prefix}:cancel$")
        states: dict[object, Handlers] = {
            CONFIRM: [CallbackQueryHandler(save, pattern=rf"^{prefix}:({saves})$"),
                      CallbackQueryHandler(ask, pattern=rf"^{prefix}:{asks}$"),
                      CallbackQueryHandler(self.who.ask, pattern=rf"^{prefix}:who$"),
                      cancel, *(more_confirm or [])],
            WAIT_VALUE: [MessageHandler(PRIVATE_TEXT, answered)],
            WAIT_CUSTOMER: [MessageHandler(PRIVATE_TEXT, self.who.answered),
                            CallbackQueryHandler(self.who.picked,
                                                 pattern=rf"^{prefix}:pick:\d{{1,10}}$"),
                            cancel],
            **(more_states or {}),
        }
        return ConversationHandler(
            name=self.name,
            persistent=True,
            allow_reentry=True,
            entry_points=entry_points,
            states=states,
            fallbacks=[CommandHandler("cancel", self.cancel)],
        )


async def mentioned_in_message(update: Update, context: BotContext
                               ) -> tuple[str, list[SearchHit]]:
    """A plain message's text and the customers it mentions by name, code or phone."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with context.unit_of_work() as session:
        return message.text, await customers_mentioned(session, message.text, context.member)


async def draft_customer(session: AsyncSession, context: BotContext, draft: dict[str, Any]
                         ) -> Customer | None:
    """The customer the card is about, once it knows one (the member's rights checked)."""
    if not draft.get("customer_id"):
        return None
    return await load_customer(session, draft["customer_id"], context.member)


def command_text(update: Update) -> str:
    """What follows the command: `/deal 王小明 X1 项目` -> `王小明 X1 项目`."""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def customers_named(context: BotContext, text: str) -> list[SearchHit]:
    """The customers a command's text mentions, or else those its first word finds
    (`/buy 王小明 20 台 X1`)."""
    async with context.unit_of_work() as session:
        return (await customers_mentioned(session, text, context.member)
                or await search_customers(session, text.split()[0], context.member, limit=8))


async def one_customer_named(update: Update, context: BotContext, usage: str
                             ) -> int | None:
    """The one customer a command names (`/survey 王小明`), or None after saying why not:
    `usage` (a translated example) when nothing follows it, or that nobody or several
    match (then the code is asked for, which names one)."""
    text = command_text(update)
    if not text:
        await say(update, context, usage)
        return None
    found = await customers_named(context, text)
    if len(found) != 1:
        await say(update, context, context.t(
            "Nobody found for that. Try another name, or /add the customer first.")
            if not found else context.t("Several customers match; send their code, e.g. "
                                        "C-000012."))
        return None
    return found[0].customer_id


def over_ceiling(context: BotContext, amount: Money | None) -> bool:
    """Above the team's amount ceiling: the card asks once more before saving."""
    return amount is not None and amount.minor > ceiling_minor(context, amount.currency)


def stored(moment: datetime | None) -> str | None:
    """A moment as a draft keeps it: ISO text."""
    return moment.isoformat() if moment else None


def stored_time(value: str | None) -> datetime | None:
    """A moment a draft keeps as ISO text."""
    return datetime.fromisoformat(value) if value else None

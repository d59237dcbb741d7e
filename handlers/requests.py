"""Service requests (工单): "王总反馈 X1 漏油，周五前上门处理" -> card -> one tap; then
Start, Resolved… (with what was done) and Reopen under the request; /tickets.

The draft lives in user_data["req"] (persisted). A manager may give the request to any
active member; the assignee is told at once and reminded at its due time.
"""

from __future__ import annotations

import re
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

from bot.messages.i18n import N_, translator
from bot.messages.keyboards import button, rows_of
from bot.messages.requests import (
    request_actions,
    request_card,
    request_given,
    request_keyboard,
    request_view,
    requests_keyboard,
    requests_text,
)
from bot.runtime.context import BotContext
from bot.understanding.logs import contact_and_follow_up_times
from bot.understanding.requests import reads_like_request, understand_request
from handlers.common import (
    PRIVATE_TEXT,
    TextThat,
    acknowledge,
    cancel_flow,
    forget,
    pending_id,
    pressed,
    say,
    team_day_first,
    tell,
    time_from_answer,
)
from handlers.flows import (
    CONFIRM,
    WAIT_VALUE,
    CardFlow,
    draft_customer,
    stored,
    stored_time,
)
from storage import requests
from storage.clock import utcnow
from storage.models import RequestKind, RequestPriority, ServiceRequest, User
from storage.requests import RequestDraft, default_due
from storage.search.lookup import SearchHit
from storage.team import active_members


def _default_due(context: BotContext, priority: RequestPriority) -> str | None:
    return stored(default_due(priority, utcnow(), context.member.timezone,
                              context.settings.reminders.default_hour))


async def start_request(update: Update, context: BotContext, text: str,
                        candidates: list[SearchHit]) -> int:
    words = understand_request(text)
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    due = contact_and_follow_up_times(text, now, context.settings.reminders.default_hour,
                                      logging=True, day_first=team_day_first(context)).due
    FLOW.keep(context, {
        "text": text, "kind": words.kind.value, "priority": words.priority.value,
        "due": stored(due) if due else _default_due(context, words.priority),
        "due_said": due is not None, "assignee_id": None,
        "customer_id": candidates[0].customer_id if len(candidates) == 1 else None,
    })
    return await FLOW.who.after_mention(update, context, candidates)


async def show_card(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = FLOW.draft(context)
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        assignee = context.member.display_name
        if draft.get("assignee_id"):  # a manager gave it to someone
            chosen = await session.get(User, draft["assignee_id"])
            assignee = chosen.display_name if chosen is not None else "—"
        await say(update, context, request_card(
            context.t, customer=customer, problem=draft.get("text", ""), kind=draft["kind"],
            priority=draft["priority"], due=stored_time(draft.get("due")),
            due_said=bool(draft.get("due_said")), assignee=assignee,
            timezone=context.member.timezone),
            request_keyboard(context.t, can_assign=context.member.is_manager), edit=edit)
    return CONFIRM


FLOW = CardFlow("req", "req", show_card)


def _next(values: list[str], current: str) -> str:
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


async def next_kind(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    draft = FLOW.draft(context)
    draft["kind"] = _next([k.value for k in RequestKind], draft.get("kind", ""))
    FLOW.keep(context, draft)
    return await show_card(update, context, edit=True)


async def next_priority(update: Update, context: BotContext) -> int:
    """Low, normal, high, urgent in turn; a due time not said follows the priority."""
    await acknowledge(update)
    draft = FLOW.draft(context)
    draft["priority"] = _next([p.value for p in RequestPriority], draft.get("priority", ""))
    if not draft.get("due_said"):
        draft["due"] = _default_due(context, RequestPriority(draft["priority"]))
    FLOW.keep(context, draft)
    return await show_card(update, context, edit=True)


async def ask_assignee(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    async with context.unit_of_work() as session:
        members = await active_members(session)
    await say(update, context, context.t("Who should handle it?"), _members_keyboard(members))
    return CONFIRM


def _members_keyboard(members: list[User]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(rows_of(
        [button(m.display_name[:30], f"req:to:{m.id}") for m in members[:30]], 2))


async def assigned(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, re.compile(r"^req:to:(\d{1,10})$"))
    if match is None:
        return CONFIRM
    await acknowledge(update)
    draft = FLOW.draft(context)
    draft["assignee_id"] = int(match.group(1))
    FLOW.keep(context, draft)
    return await show_card(update, context, edit=True)


async def ask_due(update: Update, context: BotContext) -> int:
    return await FLOW.ask(update, context, context.t(
        "By when should it be handled? e.g. 周五前, 明天下午3点, tomorrow 5pm."))


async def got_due(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    at = await time_from_answer(update, context, message.text)
    if at is None:
        return WAIT_VALUE
    draft = FLOW.draft(context)
    draft["due"], draft["due_said"] = stored(at), True
    FLOW.keep(context, draft)
    return await show_card(update, context)


async def save(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    draft, t = FLOW.draft(context), context.t
    if not draft.get("customer_id"):
        return await FLOW.customer_missing(update, context)
    async with context.unit_of_work() as session:
        request = await requests.open_request(session, context.member, RequestDraft(
            customer_id=draft["customer_id"], problem=draft.get("text", ""),
            kind=RequestKind(draft["kind"]), priority=RequestPriority(draft["priority"]),
            due_at=stored_time(draft.get("due")), assignee_id=draft.get("assignee_id")))
        await session.refresh(request)
        await say(update, context, "✅ " + t("Request saved.") + "\n" + request_view(
            t, request, context.member.timezone), request_actions(t, request), edit=True)
        assignee = request.assignee
        if assignee.id != context.member.user_id:
            theirs = translator(assignee.language)
            await tell(context, assignee.telegram_id, request_given(
                theirs, context.member.display_name, request, assignee.timezone),
                request_actions(theirs, request))
    forget(context, "req")
    return ConversationHandler.END


REQUEST_STEP = re.compile(r"^rq:(\d{1,10}):(open|start|resolve|reopen)$")
WAIT_RESOLUTION, WAIT_REOPEN = range(10, 12)


async def request_step(update: Update, context: BotContext) -> int:
    """Open, Start, Resolved… and Reopen under a request."""
    match = await pressed(update, context, REQUEST_STEP)
    if match is None:
        return ConversationHandler.END
    request_id, step, t = int(match.group(1)), match.group(2), context.t
    zone = context.member.timezone
    await acknowledge(update)
    async with context.unit_of_work() as session:
        if step == "start":
            request = await requests.start_request(session, context.member, request_id)
        else:
            request = await requests.load_request(session, request_id, context.member)
        if step in ("start", "open"):
            await say(update, context, request_view(t, request, zone),
                      request_actions(t, request), edit=step == "start")
            return ConversationHandler.END
    assert context.user_data is not None
    context.user_data["request"] = request_id
    if step == "resolve":
        await say(update, context, t("What was done? One line for the customer's timeline."))
        return WAIT_RESOLUTION
    await say(update, context, t("Why is it reopened, and by when should it be handled? "
                                 "e.g. 还在漏油，明天下午 / still failing, fix by Friday"))
    return WAIT_REOPEN


async def _pending_answer(update: Update, context: BotContext) -> tuple[int, str] | None:
    """The request waiting for this answer and the answer's text."""
    message = update.effective_message
    request_id = pending_id(context, "request")
    if request_id is None or message is None or not message.text:
        return None
    return request_id, message.text


async def _show_after_step(update: Update, context: BotContext, request: ServiceRequest
                           ) -> int:
    await say(update, context, request_view(context.t, request, context.member.timezone),
              request_actions(context.t, request))
    forget(context, "request")
    return ConversationHandler.END


async def got_resolution(update: Update, context: BotContext) -> int:
    pending = await _pending_answer(update, context)
    if pending is None:
        return ConversationHandler.END
    async with context.unit_of_work() as session:
        request = await requests.resolve_request(session, context.member, *pending)
        return await _show_after_step(update, context, request)


async def got_reopen(update: Update, context: BotContext) -> int:
    pending = await _pending_answer(update, context)
    if pending is None:
        return ConversationHandler.END
    request_id, said = pending
    now = utcnow().astimezone(ZoneInfo(context.member.timezone))
    hour = context.settings.reminders.default_hour
    due = contact_and_follow_up_times(said, now, hour, logging=True,
                                      day_first=team_day_first(context)).due
    async with context.unit_of_work() as session:
        request = await requests.load_request(session, request_id, context.member)
        due = due or default_due(RequestPriority(request.priority), utcnow(),
                                 context.member.timezone, hour)
        request = await requests.reopen_request(session, context.member, request_id,
                                                due_at=due, reason=said)
        return await _show_after_step(update, context, request)


async def tickets_command(update: Update, context: BotContext) -> None:
    """/tickets: my open requests; a manager's are the team's (/tickets mine for theirs)."""
    message = update.effective_message
    mine = bool(message and message.text and "mine" in message.text.lower())
    team = context.member.is_manager and not mine
    async with context.unit_of_work() as session:
        found = await requests.open_requests(session, context.member, team=team)
    await say(update, context, requests_text(context.t, found, context.member.timezone,
                                             utcnow(), team=team),
              requests_keyboard(found) if found else None)


async def cancel_step(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "request")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler(["tickets", "requests"], tickets_command))
    app.add_handler(ConversationHandler(
        name="request_steps", persistent=True, allow_reentry=True,
        entry_points=[CallbackQueryHandler(request_step, pattern=r"^rq:\d{1,10}:"
                                                                 r"(open|start|resolve|reopen)$")],
        states={WAIT_RESOLUTION: [MessageHandler(PRIVATE_TEXT, got_resolution)],
                WAIT_REOPEN: [MessageHandler(PRIVATE_TEXT, got_reopen)]},
        fallbacks=[CommandHandler("cancel", cancel_step)]))
    app.add_handler(FLOW.conversation(
        entry_points=[CommandHandler(["request", "ticket"], FLOW.from_command(start_request, N_(
                          "Tell me the customer and the problem, e.g. "
                          "/request 王小明 X1 漏油，周五前上门处理"))),
                      MessageHandler(PRIVATE_TEXT & TextThat(reads_like_request),
                                     FLOW.from_message(start_request))],
        save=save, asks="due", ask=ask_due, answered=got_due,
        more_confirm=[CallbackQueryHandler(next_kind, pattern=r"^req:kind$"),
                      CallbackQueryHandler(next_priority, pattern=r"^req:priority$"),
                      CallbackQueryHandler(ask_assignee, pattern=r"^req:assign$"),
                      CallbackQueryHandler(assigned, pattern=r"^req:to:\d{1,10}$")]))

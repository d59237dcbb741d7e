"""Logging a call or visit in one message, and /remind: understood, shown, saved on a tap.

The draft lives in user_data["log"] (persisted), so a restart between the message and
the tap loses nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update, Voice
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.media.speech import TranscriptionFailed, transcribe
from bot.messages.interactions import log_card, log_keyboard, timeline_keyboard, timeline_text
from bot.messages.labels import local_time
from bot.runtime.context import RUNTIME, BotContext
from bot.understanding.dates import find_when
from bot.understanding.logs import contact_and_follow_up_times, interaction_kind, reads_like_log
from handlers.common import (
    PRIVATE_TEXT,
    TextThat,
    acknowledge,
    forget,
    say,
    team_day_first,
    time_from_answer,
)
from handlers.flows import (
    CONFIRM,
    WAIT_VALUE,
    CardFlow,
    command_text,
    draft_customer,
    mentioned_in_message,
    stored,
    stored_time,
)
from handlers.search import look_up
from storage import customers, interactions, reminders
from storage.clock import utcnow
from storage.errors import N_, ValidationFailed
from storage.interactions import Attachment
from storage.models import InteractionKind
from storage.search.lookup import SearchHit, customers_mentioned, search_customers

log = logging.getLogger(__name__)

TIMELINE_PAGE = 10
_CODE_IN_CARD = re.compile(r"\bC-(\d{6,9})\b")


PRIVATE = filters.ChatType.PRIVATE
REPLY_TO_BOT = filters.REPLY & PRIVATE & (filters.TEXT & ~filters.COMMAND | filters.VOICE
                                          | filters.PHOTO | filters.Document.ALL)


# ---- the draft --------------------------------------------------------------------------

def _zone(context: BotContext) -> ZoneInfo:
    return ZoneInfo(context.member.timezone)


async def start_draft(update: Update, context: BotContext, *, text: str, kind: str | None,
                      candidates: list[SearchHit], attachment: Attachment | None = None) -> int:
    now = utcnow().astimezone(_zone(context))
    times = contact_and_follow_up_times(
        text, now, context.settings.reminders.default_hour, logging=kind is not None,
        day_first=team_day_first(context))
    draft: dict[str, Any] = {
        "text": text, "kind": kind,
        "occurred": stored(times.occurred), "due": stored(times.due),
        "deadline": stored(times.deadline), "passed": stored(times.passed),
        "alternative": stored(times.due_alternative),
        "customer_id": candidates[0].customer_id if len(candidates) == 1 else None,
        "attachment": [attachment.kind, attachment.file_id] if attachment else None,
    }
    FLOW.keep(context, draft)
    return await FLOW.who.after_mention(update, context, candidates)


async def show_draft(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = FLOW.draft(context)
    async with context.unit_of_work() as session:
        customer = await draft_customer(session, context, draft)
        alternative = stored_time(draft.get("alternative"))
        await say(update, context, log_card(
            context.t, customer=customer, kind=draft.get("kind"), text=draft.get("text", ""),
            occurred=stored_time(draft.get("occurred")), due=stored_time(draft.get("due")),
            deadline=stored_time(draft.get("deadline")), passed=stored_time(draft.get("passed")),
            alternative=alternative, timezone=context.member.timezone),
            log_keyboard(context.t, alternative=alternative, timezone=context.member.timezone),
            edit=edit)
    return CONFIRM


FLOW = CardFlow("log", "log", show_draft)


# ---- entry points -----------------------------------------------------------------------

async def _customer_from_first_word(context: BotContext, text: str
                                    ) -> tuple[list[SearchHit], str]:
    """`/log 王小明 打电话…`: the first word names the customer when it finds one."""
    first, _, rest = text.partition(" ")
    async with context.unit_of_work() as session:
        hits = await search_customers(session, first, context.member, limit=8)
        exact = [h for h in hits if h.score >= 850]
        if len(exact) == 1 or len(hits) == 1:
            return (exact or hits)[:1], rest.strip() or text
        mentioned = await customers_mentioned(session, text, context.member)
    return mentioned or hits, text


async def log_command(update: Update, context: BotContext) -> int:
    text = command_text(update)
    if not text:
        await say(update, context, context.t(
            "Tell me what happened, e.g. /log 王小明 打电话，要报价，下周五跟进"))
        return ConversationHandler.END
    candidates, rest = await _customer_from_first_word(context, text)
    kind = interaction_kind(rest) or InteractionKind.NOTE
    return await start_draft(update, context, text=rest, kind=kind, candidates=candidates)


async def remind_command(update: Update, context: BotContext) -> int:
    text = command_text(update)
    if not text:
        await say(update, context, context.t(
            "Usage: /remind &lt;customer&gt; &lt;when&gt; &lt;what&gt;, "
            "e.g. /remind 王小明 明天下午3点 发报价"))
        return ConversationHandler.END
    candidates, rest = await _customer_from_first_word(context, text)
    now = utcnow().astimezone(_zone(context))
    if find_when(rest, now, day_first=team_day_first(context)) is None:
        await say(update, context, context.t(
            "I could not find a time in that. For example: 明天下午3点, next Friday 10am."))
        return ConversationHandler.END
    return await start_draft(update, context, text=rest, kind=None, candidates=candidates)


async def plain_log(update: Update, context: BotContext) -> int:
    text, candidates = await mentioned_in_message(update, context)
    return await start_draft(update, context, text=text, kind=interaction_kind(text),
                             candidates=candidates)


async def heard(update: Update, context: BotContext, voice: Voice) -> str:
    """The words of a voice note ("" when no speech service is configured, or after
    telling the member it failed: the recording is kept either way)."""
    settings = context.settings.speech
    if not settings.url:
        return ""
    audio = bytes(await (await voice.get_file()).download_as_bytearray())
    try:
        return await transcribe(settings, audio)
    except TranscriptionFailed as error:
        log.warning("voice note not transcribed: %s", error)
        await say(update, context, "🎙 " + context.t(
            "I could not turn this voice note into text (the speech service did not "
            "answer); the recording is kept on the timeline. Tell me the rest in words."))
        return ""


async def voice_log(update: Update, context: BotContext) -> int:
    """A voice note (with a speech service configured) logs like the sentence it says."""
    message = update.effective_message
    assert message is not None and message.voice is not None
    text = await heard(update, context, message.voice)
    candidates: list[SearchHit] = []
    if text:
        async with context.unit_of_work() as session:
            candidates = await customers_mentioned(session, text, context.member)
    return await start_draft(update, context, text=text,
                             kind=interaction_kind(text) or InteractionKind.CALL,
                             candidates=candidates,
                             attachment=Attachment("voice", message.voice.file_id))


async def reply_to_card(update: Update, context: BotContext) -> int | None:
    """A reply to a customer card (text, voice note, photo, file) logs against it."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    found = _CODE_IN_CARD.search(message.reply_to_message.text or "")
    if found is None:
        if message.text:
            await look_up(update, context, message.text)
        return ConversationHandler.END
    attachment = None
    if message.voice:
        attachment = Attachment("voice", message.voice.file_id)
    elif message.photo:
        attachment = Attachment("photo", message.photo[-1].file_id)
    elif message.document:
        attachment = Attachment("document", message.document.file_id)
    text = message.text or message.caption or ""
    if message.voice:
        text = await heard(update, context, message.voice)
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, int(found.group(1)), context.member)
        hit = SearchHit(customer.id, customer.name, customer.company, customer.region, 1000)
    kind = interaction_kind(text) or (
        InteractionKind.CALL if attachment and attachment.kind == "voice" else InteractionKind.NOTE)
    return await start_draft(update, context, text=text, kind=kind, candidates=[hit],
                             attachment=attachment)


# ---- the card's buttons and answers -----------------------------------------------------

async def save(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    draft, t, member = FLOW.draft(context), context.t, context.member
    if not draft.get("customer_id"):
        return await FLOW.customer_missing(update, context)
    due = stored_time(draft.get("due"))
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, draft["customer_id"], member)
        notes = []
        if draft.get("kind"):
            attachment = Attachment(*draft["attachment"]) if draft.get("attachment") else None
            await interactions.log_interaction(
                session, member, customer.id, kind=InteractionKind(draft["kind"]),
                summary=draft.get("text", ""), occurred_at=stored_time(draft.get("occurred")),
                attachment=attachment)
            notes.append("✅ " + t("Logged on {name}'s timeline.").format(name=customer.name))
        if due is not None:
            await reminders.schedule_followup(session, member, customer.id, due,
                                              draft.get("text", ""))
            notes.append("⏰ " + t("Follow-up set for {when}.").format(
                when=local_time(due, member.timezone, t)))
        elif not draft.get("kind"):
            raise ValidationFailed("due", N_("A follow-up needs a time."))
        await say(update, context, "\n".join(notes), edit=True)
    forget(context, "log")
    return ConversationHandler.END


async def take_alternative(update: Update, context: BotContext) -> int:
    """The other reading of the follow-up time; the first becomes the one offered."""
    await acknowledge(update)
    draft = FLOW.draft(context)
    draft["due"], draft["alternative"] = draft.get("alternative"), draft.get("due")
    FLOW.keep(context, draft)
    return await show_draft(update, context, edit=True)


async def ask_date(update: Update, context: BotContext) -> int:
    return await FLOW.ask(update, context, context.t(
        "When should I remind you? e.g. 下周五下午3点, next Friday 3pm. "
        "Send - for no follow-up."))


async def got_date(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = FLOW.draft(context)
    if message.text.strip() in ("-", "—"):
        draft["due"] = None
    else:
        at = await time_from_answer(update, context, message.text)
        if at is None:
            return WAIT_VALUE
        if at <= utcnow():
            await say(update, context, context.t(
                "That time has already passed. Please give a later one."))
            return WAIT_VALUE
        draft["due"] = at.isoformat()
    draft["passed"] = draft["alternative"] = None  # the member gave this time themselves
    FLOW.keep(context, draft)
    return await show_draft(update, context)


# ---- the timeline -----------------------------------------------------------------------

async def show_timeline(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, raw_id, raw_offset = query.data.split(":")
    offset = max(int(raw_offset), 0)
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, int(raw_id), context.member)
        entries, total = await interactions.timeline(
            session, context.member, customer.id, limit=TIMELINE_PAGE, offset=offset)
    await acknowledge(update)
    await say(update, context, timeline_text(context.t, customer, entries, total, offset,
                                             context.member.timezone),
              timeline_keyboard(context.t, customer.id, offset, total, TIMELINE_PAGE),
              edit=offset > 0)


async def send_attachment(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    found = re.match(r"^/file_(\d{1,10})", message.text)
    if found is None or update.effective_chat is None:
        return
    async with context.unit_of_work() as session:
        entry = await interactions.load_interaction(session, context.member, int(found.group(1)))
    chat_id, file_id = update.effective_chat.id, entry.attachment_file_id
    if file_id is None:
        await say(update, context, context.t("That entry has no attachment."))
    elif entry.attachment_kind == "voice":
        await context.bot.send_voice(chat_id, file_id)
    elif entry.attachment_kind == "photo":
        await context.bot.send_photo(chat_id, file_id)
    else:
        await context.bot.send_document(chat_id, file_id)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    speech = filters.ALL if app.bot_data[RUNTIME].settings.speech.url else ~filters.ALL
    app.add_handler(FLOW.conversation(
        entry_points=[
            CommandHandler("log", log_command),
            CommandHandler("remind", remind_command),
            MessageHandler(REPLY_TO_BOT, reply_to_card),
            MessageHandler(PRIVATE_TEXT & TextThat(reads_like_log), plain_log),
            # Without a speech service, a voice note is left alone, as before.
            MessageHandler(filters.VOICE & PRIVATE & ~filters.REPLY & speech, voice_log),
        ],
        save=save, saves="save", asks="date", ask=ask_date, answered=got_date,
        more_confirm=[CallbackQueryHandler(take_alternative, pattern=r"^log:alt$")]))
    app.add_handler(CallbackQueryHandler(show_timeline, pattern=r"^tl:\d{1,10}:\d{1,6}$"))
    app.add_handler(MessageHandler(filters.Regex(r"^/file_\d{1,10}") & PRIVATE, send_attachment))

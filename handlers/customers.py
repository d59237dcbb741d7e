"""Adding customers (guided, one line, shared contact, .vcf), the card and its buttons."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.media.businesscards import read_card
from bot.messages.campaigns import opted_out_line
from bot.messages.customers import (
    card_keyboard,
    customer_card,
    customer_vcard,
    draft_card,
    field_keyboard,
)
from bot.messages.duplicates import duplicates_keyboard, duplicates_text
from bot.messages.i18n import N_
from bot.messages.keyboards import button, choice_keyboard
from bot.messages.labels import STAGE_LABELS, TIER_LABELS, label
from bot.messages.payments import owed_line
from bot.messages.requests import open_requests_line
from bot.messages.sales import satisfaction_line, value_line
from bot.messages.team import members_keyboard
from bot.runtime.context import BotContext
from bot.understanding.customers import (
    VCardError,
    contact_name,
    drafts_from_vcard,
    understand_customer_line,
)
from handlers.common import (
    PRIVATE_TEXT,
    acknowledge,
    cancel_flow,
    expired_button,
    forget,
    pressed,
    say,
)
from handlers.imports import start_import
from storage import campaigns, customers, interactions, requests, team
from storage.customers import CustomerDraft
from storage.errors import ValidationFailed
from storage.interactions import Attachment
from storage.models import Customer, InteractionKind
from storage.sales import payments, purchases, satisfaction
from storage.users import ensure_manager
from storage.validation import clean_text, normalize_email, normalize_phone

STEPS = ("name", "phone", "company", "region", "tier", "stage")
CONFIRM, DUPES = len(STEPS), len(STEPS) + 1
WAIT_VALUE = 0
MAX_VCF_BYTES = 1_000_000
MAX_CARD_PHOTO_BYTES = 10_000_000  # a phone photo is 1-5 MB; more is not a card
PROMPTS = {
    "name": N_("New customer. What is the name?"),
    "phone": N_("Phone number (or email)?"),
    "company": N_("Company?"),
    "region": N_("City or region?"),
    "tier": N_("Tier?"),
    "stage": N_("Stage?"),
}
VCARD = (filters.Document.FileExtension("vcf") | filters.Document.MimeType("text/vcard")
         | filters.Document.MimeType("text/x-vcard"))


# ---- the draft kept between steps (persisted with user_data) ----------------------------

def draft_of(context: BotContext) -> CustomerDraft:
    stored = (context.user_data or {}).get("add", {})
    return CustomerDraft.from_dict(stored.get("draft", {}))


def keep(context: BotContext, draft: CustomerDraft, step: str | None) -> None:
    assert context.user_data is not None
    context.user_data["add"] = {"draft": draft.to_dict(), "step": step}


def forget_drafts(context: BotContext) -> None:
    forget(context, "add", "edit")


def current_step(context: BotContext) -> str:
    step = (context.user_data or {}).get("add", {}).get("step")
    return step if step in STEPS else "name"


# ---- guided flow ------------------------------------------------------------------------

async def ask(update: Update, context: BotContext, step: str) -> int:
    t = context.t
    skip = button("⏭ " + t("Skip"), "add:skip")
    if step == "tier":
        markup = choice_keyboard("add:tier", {k.value: v for k, v in TIER_LABELS.items()}, t,
                                 [skip])
    elif step == "stage":
        markup = choice_keyboard("add:stage", {k.value: v for k, v in STAGE_LABELS.items()}, t,
                                 [skip])
    elif step == "name":
        markup = None
    else:
        markup = InlineKeyboardMarkup([[skip]])
    hint = "" if step == "name" else "\n" + t("/skip to leave it empty, /cancel to stop.")
    await say(update, context, t(PROMPTS[step]) + hint, markup)
    return STEPS.index(step)


async def advance(update: Update, context: BotContext, draft: CustomerDraft, step: str) -> int:
    following = STEPS.index(step) + 1
    if following < len(STEPS):
        keep(context, draft, STEPS[following])
        return await ask(update, context, STEPS[following])
    return await confirm(update, context, draft)


async def start_add(update: Update, context: BotContext) -> int:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    line = text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""
    if line.strip():
        draft = understand_customer_line(line, context.settings.team.default_region)
        return await confirm(update, context, draft)
    keep(context, CustomerDraft(), "name")
    return await ask(update, context, "name")


async def got_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    step, draft, text = current_step(context), draft_of(context), message.text
    region = context.settings.team.default_region
    if step == "name":
        draft.name = clean_text("name", text, required=True) or ""
    elif step == "phone":
        items = [i.strip() for i in re.split(r"[,;，；]", text) if i.strip()]
        draft.emails = [normalize_email(i) for i in items if "@" in i]
        draft.phones = [normalize_phone(i, region) for i in items if "@" not in i]
    elif step in ("company", "region"):
        setattr(draft, step, clean_text(step, text, required=True))
    else:
        await say(update, context, context.t("Please choose with the buttons, or /skip."))
        return STEPS.index(step)
    return await advance(update, context, draft, step)


async def skip(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    step = current_step(context)
    if step == "name":
        await say(update, context, context.t("A customer needs a name. Type it, or /cancel."))
        return STEPS.index("name")
    return await advance(update, context, draft_of(context), step)


async def got_choice(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    _, step, value = query.data.split(":")
    draft = draft_of(context)
    setattr(draft, step, value)
    return await advance(update, context, draft, step)


async def confirm(update: Update, context: BotContext, draft: CustomerDraft) -> int:
    t = context.t
    region = context.settings.team.default_region
    # What was understood, normalised, is what the user confirms; bad input stops here.
    draft = customers.validate_draft(draft, region)
    keep(context, draft, None)
    markup = InlineKeyboardMarkup([[button("✅ " + t("Save"), "add:save"),
                                    button("❌ " + t("Cancel"), "add:cancel")]])
    await say(update, context, draft_card(draft, t, region=region), markup)
    return CONFIRM


async def cancel(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "add", "edit")


async def save(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    forced = update.callback_query is not None and update.callback_query.data == "add:anyway"
    draft, t = draft_of(context), context.t
    region = context.settings.team.default_region
    async with context.unit_of_work() as session:
        valid = customers.validate_draft(draft, region)
        matches = [] if forced else await customers.find_duplicates(session, valid, context.member)
        if matches:
            await say(update, context, duplicates_text(matches, t),
                      duplicates_keyboard(matches, t), edit=True)
            return DUPES
        customer = await customers.create_customer(
            session, draft, context.member, default_region=region
        )
        photo = (context.user_data or {}).get("add", {}).get("photo")
        if photo:  # the business card it was read from
            await interactions.log_interaction(
                session, context.member, customer.id, kind=InteractionKind.NOTE,
                summary=t("Business card"), attachment=Attachment("photo", photo))
        await show_card(session, update, context, customer, edit=True,
                        note="✅ " + t("Saved as {code}.").format(code=customer.code))
    forget_drafts(context)
    return ConversationHandler.END


async def resolve_duplicate(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id = query.data.split(":")
    region = context.settings.team.default_region
    async with context.unit_of_work() as session:
        existing = await customers.load_customer(session, int(raw_id), context.member)
        note = None
        if action == "merge":
            existing = await customers.absorb_draft(
                session, existing, draft_of(context), context.member, default_region=region
            )
            note = "🔗 " + context.t("Added to {code}.").format(code=existing.code)
        await show_card(session, update, context, existing, edit=True, note=note)
    forget_drafts(context)
    return ConversationHandler.END


async def from_contact(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.contact is not None
    contact = message.contact
    if not (contact.phone_number or "").strip():
        await say(update, context, context.t(
            "This contact has no phone number. Send /add to type the details."))
        return ConversationHandler.END
    draft = CustomerDraft(
        name=contact_name(contact.first_name, contact.last_name),
        phones=[contact.phone_number if contact.phone_number.startswith("+")
                or len(re.sub(r"\D", "", contact.phone_number)) <= 11
                else "+" + contact.phone_number],
    )
    if contact.vcard:
        try:
            card = drafts_from_vcard(contact.vcard.encode())[0]
            draft.emails, draft.company, draft.title = card.emails, card.company, card.title
        except VCardError:
            pass  # the phone and name Telegram gave are enough
    return await confirm(update, context, draft)


async def from_card_photo(update: Update, context: BotContext) -> int:
    """A photo of a business card (or a contact screenshot) becomes a draft to confirm;
    the picture goes onto the new customer's timeline when it is saved."""
    message = update.effective_message
    assert message is not None
    picture = message.photo[-1] if message.photo else message.document
    assert picture is not None
    t = context.t
    if (picture.file_size or 0) > MAX_CARD_PHOTO_BYTES:
        await say(update, context, t("This picture is too large for a business card."))
        return ConversationHandler.END
    image = bytes(await (await picture.get_file()).download_as_bytearray())
    fields = await read_card(image, context.settings.team.default_region)
    if not fields.name:
        await say(update, context, t(
            "I could not find a name on this card. Send /add and type the details."))
        return ConversationHandler.END
    state = await confirm(update, context, fields.draft())
    assert context.user_data is not None
    context.user_data["add"]["photo"] = picture.file_id
    return state


async def from_vcard(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.document is not None
    t = context.t
    if (message.document.file_size or 0) > MAX_VCF_BYTES:
        await say(update, context, t("This file is too large for a contact card."))
        return ConversationHandler.END
    data = bytes(await (await message.document.get_file()).download_as_bytearray())
    try:
        drafts = drafts_from_vcard(data)
    except VCardError:
        await say(update, context, t("I could not read this .vcf file."))
        return ConversationHandler.END
    if len(drafts) > 1 and context.member.is_manager:
        # A whole address book goes through the same preview as a spreadsheet.
        async def already_read() -> bytes:
            return data

        await start_import(update, context, message.document.file_name or "contacts.vcf",
                           already_read)
        return ConversationHandler.END
    if len(drafts) > 1:
        await say(update, context, t(
            "This file holds {count} contacts; here is the first one. A manager can import "
            "them all.").format(count=len(drafts)))
    if not drafts[0].name:
        raise ValidationFailed("name", N_("The {label} cannot be empty."))
    return await confirm(update, context, drafts[0])


# ---- the card ---------------------------------------------------------------------------

async def show_card(session: AsyncSession, update: Update, context: BotContext,
                    customer: Customer, *,
                    edit: bool = False, note: str | None = None) -> None:
    settings = context.settings
    recent = await interactions.recent(session, customer, limit=5)
    value = await purchases.value_of(session, customer)
    sales: list[str | None] = [
        value_line(context.t, value, context.member.timezone) if value.count else None,
        owed_line(context.t, await payments.outstanding(session, customer)),
        open_requests_line(context.t, await requests.open_request_count(session, customer.id)),
        satisfaction_line(context.t, *await satisfaction.average(session, customer.id)),
        opted_out_line(context.t, await campaigns.opted_out(session, customer.id),
                       context.member.timezone)]
    text = customer_card(customer, context.t, region=settings.team.default_region,
                         timezone=context.member.timezone, recent=recent,
                         sales=[line for line in sales if line])
    # Edit buttons belong to the member's own chat; a card in a group is for reading.
    private = update.effective_chat is None or update.effective_chat.type == ChatType.PRIVATE
    markup = card_keyboard(customer, context.t, manager=context.member.is_manager,
                           app_url=settings.webapp.url)
    await say(update, context, f"{note}\n\n{text}" if note else text,
              markup if private else None, edit=edit)


CARD_ACTION = re.compile(
    r"^c:(\d{1,10}):(open|edit|tier|stage|archive|restore|owner|share|vcard)(?::(\w{1,16}))?$")


async def card_action(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, CARD_ACTION)
    if match is None:
        return
    customer_id, action, value = int(match.group(1)), match.group(2), match.group(3)
    t, member = context.t, context.member
    region = context.settings.team.default_region
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, customer_id, member)
        await acknowledge(update)
        if action == "vcard":
            await send_vcard(update, context, customer)
            return
        if action == "edit":
            await say(update, context, t("Which field of {name}?").format(
                name=escape(customer.name)), field_keyboard(customer.id, t), edit=True)
            return
        if action in ("tier", "stage") and value is None:
            labels = TIER_LABELS if action == "tier" else STAGE_LABELS
            await say(update, context, t("Choose the {field} of {name}:").format(
                field=label(t, action), name=escape(customer.name)),
                choice_keyboard(f"c:{customer.id}:{action}",
                                {k.value: v for k, v in labels.items()}, t), edit=True)
            return
        if action in ("tier", "stage") and value is not None:
            await customers.update_field(session, customer, action, value, member,
                                         default_region=region)
        elif action in ("archive", "restore"):
            await customers.set_archived(session, customer, action == "archive", member)
        elif action in ("owner", "share") and value is None:
            await _choose_member(session, update, context, customer, action)
            return
        elif action == "owner" and value is not None and value.isdigit():
            customer = await team.reassign(session, member, customer.id, int(value))
        elif action == "share" and value is not None and value.isdigit():
            await team.toggle_share(session, member, customer.id, int(value))
        await show_card(session, update, context, customer, edit=True)


async def send_vcard(update: Update, context: BotContext, customer: Customer) -> None:
    """The customer as a Telegram contact (one tap saves it to the phone) and as a .vcf."""
    chat = update.effective_chat
    if chat is None:
        return
    card = customer_vcard(customer)
    phones = customer.contact_values("phone")
    if phones:
        await context.bot.send_contact(chat.id, phone_number=phones[0],
                                       first_name=customer.name[:64], vcard=card)
    await context.bot.send_document(chat.id, card.encode("utf-8"),
                                    filename=f"{customer.code}.vcf",
                                    caption=f"📇 {escape(customer.name)} {customer.code}")


async def _choose_member(session: AsyncSession, update: Update, context: BotContext,
                         customer: Customer, action: str) -> None:
    """Whom to hand the customer to (managers), or to share it with (owner, managers)."""
    t = context.t
    if action == "owner":
        ensure_manager(context.member)
        question = t("Who should own {name} from now on?")
    else:
        question = t("Share {name} with whom? Tap again to stop sharing.")
    others = [u for u in await team.active_members(session) if u.id != customer.owner_id]
    marked = {u.id for u in customer.shared_with} if action == "share" else None
    await say(update, context, question.format(name=escape(customer.name)),
              members_keyboard(others, f"c:{customer.id}:{action}", marked=marked), edit=True)


async def ask_value(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, raw_id, _, field = query.data.split(":")
    t = context.t
    if field not in (*customers.EDITABLE, "tag"):
        await expired_button(update, context)
        return ConversationHandler.END
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, int(raw_id), context.member)
    await acknowledge(update)
    assert context.user_data is not None
    context.user_data["edit"] = {"customer_id": customer.id, "field": field}
    if field == "tag":
        prompt = t("Send tags for {name}, separated by spaces, e.g. #vip #beijing")
    else:
        prompt = t("Send the new {field} for {name}. Send - to clear it, /cancel to stop.")
    await say(update, context, prompt.format(field=label(t, field), name=escape(customer.name)))
    return WAIT_VALUE


async def got_value(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending = (context.user_data or {}).get("edit")
    if not pending:
        return ConversationHandler.END
    member = context.member
    async with context.unit_of_work() as session:
        customer = await customers.load_customer(session, pending["customer_id"], member)
        if pending["field"] == "tag":
            await customers.add_tags(session, customer, message.text, member)
        else:
            await customers.update_field(
                session, customer, pending["field"], message.text, member,
                default_region=context.settings.team.default_region,
            )
        await show_card(session, update, context, customer, note="✅ " + context.t("Saved."))
    forget_drafts(context)
    return ConversationHandler.END


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    cancel_handler = CommandHandler("cancel", cancel)
    add_flow = ConversationHandler(
        name="add",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("add", start_add),
            MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, from_contact),
            MessageHandler(VCARD & filters.ChatType.PRIVATE, from_vcard),
            MessageHandler((filters.PHOTO | filters.Document.IMAGE) & filters.ChatType.PRIVATE
                           & ~filters.REPLY, from_card_photo),
        ],
        states={
            **{i: [MessageHandler(PRIVATE_TEXT, got_text),
                   CallbackQueryHandler(skip, pattern=r"^add:skip$")]
               for i in range(len(STEPS))},
            STEPS.index("tier"): [CallbackQueryHandler(got_choice, pattern=r"^add:tier:\w+$"),
                                  CallbackQueryHandler(skip, pattern=r"^add:skip$"),
                                  MessageHandler(PRIVATE_TEXT, got_text)],
            STEPS.index("stage"): [CallbackQueryHandler(got_choice, pattern=r"^add:stage:\w+$"),
                                   CallbackQueryHandler(skip, pattern=r"^add:skip$"),
                                   MessageHandler(PRIVATE_TEXT, got_text)],
            CONFIRM: [CallbackQueryHandler(save, pattern=r"^add:save$"),
                      CallbackQueryHandler(cancel, pattern=r"^add:cancel$")],
            DUPES: [CallbackQueryHandler(save, pattern=r"^add:anyway$"),
                    CallbackQueryHandler(resolve_duplicate, pattern=r"^add:(open|merge):\d+$"),
                    CallbackQueryHandler(cancel, pattern=r"^add:cancel$")],
        },
        fallbacks=[cancel_handler, CommandHandler("skip", skip)],  # type: ignore[list-item]
    )
    edit_flow = ConversationHandler(
        name="edit",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(ask_value, pattern=r"^c:\d{1,10}:f:\w{1,16}$")],
        states={WAIT_VALUE: [MessageHandler(PRIVATE_TEXT, got_value)]},
        fallbacks=[cancel_handler],  # type: ignore[list-item]
    )
    app.add_handler(add_flow)
    app.add_handler(edit_flow)
    app.add_handler(CallbackQueryHandler(card_action, pattern=r"^c:"))
    app.add_handler(CommandHandler("cancel", cancel))

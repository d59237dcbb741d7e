"""/campaign: an email campaign written in chat: who (filter words or a segment), the
subject, the message, a preview as it arrives for three customers, then 🚀 Send (once,
whoever presses). /campaigns: each campaign's counts and its measured effect.

Refused up front, with what to set, without the team's SMTP server (`[email]`) or the
public https address (`webapp.url`) the unsubscribe link needs. The draft's id lives in
user_data["campaign"] while the conversation waits for text.
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

from bot.mail.templates import checked, render
from bot.messages.campaigns import (
    ask_body,
    ask_subject,
    audience_text,
    preview_keyboard,
    preview_text,
    report_keyboard,
    report_text,
)
from bot.runtime.context import BotContext
from bot.understanding.filters import condition_of_words
from handlers.common import PRIVATE_TEXT, acknowledge, cancel_flow, forget, pressed, say
from storage import campaigns
from storage.clock import utcnow
from storage.errors import N_, ValidationFailed
from storage.models import CampaignStatus

WHO, SUBJECT, BODY, PREVIEW = range(4)
EVERYONE = ("all", "everyone", "全部", "所有")
BUTTON = re.compile(r"^cmp:(\d{1,10}):(send|subject|body|cancel|resume|stop)$")


def _refusal(context: BotContext) -> str | None:
    """What to configure before a campaign can go out; None when nothing is missing."""
    settings, t = context.settings, context.t
    campaigns.may_run_campaigns(context.member, settings.email.reps_may_send)
    if not settings.email.configured:
        return "⚠️ " + t("Campaigns go out through the team's own mail server, and none is "
                        "set. Ask your admin to fill in [email] (host, port, username, "
                        "from_address; the password in SALESBOT_SMTP_PASSWORD): "
                        "docs/operations.md, \"Email campaigns\".")
    if not settings.webapp.url.startswith("https://"):
        return "⚠️ " + t("Every campaign message carries an unsubscribe link on the Mini "
                        "App's public https address, and none is set. Ask your admin to "
                        "set webapp.url and webapp.port (docs/operations.md).")
    return None


def _words(audience: str) -> str:
    return "" if audience.strip().casefold() in EVERYONE else audience


async def campaign_command(update: Update, context: BotContext) -> int:
    refused = _refusal(context)
    if refused:
        await say(update, context, refused)
        return ConversationHandler.END
    message = update.effective_message
    words = (message.text or "").partition(" ")[2].strip() if message else ""
    if not words:
        await say(update, context, "👥 " + context.t(
            "Who gets it? Send filter words as /export takes them (tier:core region:上海 "
            "tag:展会), a segment (seg:NAME), or “all” for every customer you may see (or "
            "/cancel)."))
        return WHO
    return await _audience_chosen(update, context, words)


async def who_answered(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _audience_chosen(update, context, message.text.strip())


async def _audience_chosen(update: Update, context: BotContext, words: str) -> int:
    async with context.unit_of_work() as session:
        chosen = await condition_of_words(session, context.member, _words(words))
        campaign = await campaigns.new_campaign(session, context.member, words)
        audience = await campaigns.audience_preview(session, chosen, campaign.holdout_percent)
        if audience.send == 0:
            raise ValidationFailed("audience", N_("Nobody these words choose has an email "
                                                  "address a campaign may write to."))
    context.user_data["campaign"] = campaign.id  # type: ignore[index]
    await say(update, context, audience_text(context.t, audience, campaign.holdout_percent)
              + "\n\n" + ask_subject(context.t))
    return SUBJECT


def _draft_id(context: BotContext) -> int | None:
    found = (context.user_data or {}).get("campaign")
    return found if isinstance(found, int) else None


async def subject_answered(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    campaign_id = _draft_id(context)
    if campaign_id is None:
        return ConversationHandler.END
    subject = checked(message.text, "-").subject
    async with context.unit_of_work() as session:
        campaign = await campaigns.set_template(session, context.member, campaign_id,
                                                subject=subject)
        has_body = bool(campaign.body)
    if has_body:
        return await show_preview(update, context, campaign_id)
    await say(update, context, ask_body(context.t))
    return BODY


async def body_answered(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    campaign_id = _draft_id(context)
    if campaign_id is None:
        return ConversationHandler.END
    async with context.unit_of_work() as session:
        campaign = await campaigns.load_campaign(session, context.member, campaign_id)
        body = checked(campaign.subject or "-", message.text).body
        await campaigns.set_template(session, context.member, campaign_id, body=body)
    return await show_preview(update, context, campaign_id)


async def show_preview(update: Update, context: BotContext, campaign_id: int, *,
                       edit: bool = False) -> int:
    async with context.unit_of_work() as session:
        campaign = await campaigns.load_campaign(session, context.member, campaign_id)
        chosen = await condition_of_words(session, context.member, _words(campaign.audience))
        audience = await campaigns.audience_preview(session, chosen, campaign.holdout_percent)
        template = checked(campaign.subject, campaign.body)
        samples = []
        for email, fields in await campaigns.sample_fields(session, chosen):
            subject, body = render(template, fields)
            samples.append((email, subject, body))
    await say(update, context, preview_text(context.t, audience, campaign.holdout_percent,
                                            samples),
              preview_keyboard(context.t, campaign_id, can_send=bool(samples)), edit=edit)
    return PREVIEW


async def preview_pressed(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, BUTTON)
    if match is None:
        return PREVIEW
    campaign_id, action = int(match.group(1)), match.group(2)
    await acknowledge(update)
    t = context.t
    if action == "subject":
        await say(update, context, ask_subject(t))
        return SUBJECT
    if action == "body":
        await say(update, context, ask_body(t))
        return BODY
    if action == "cancel":
        async with context.unit_of_work() as session:
            await campaigns.stop(session, context.member, campaign_id)
        forget(context, "campaign")
        await say(update, context, "❌ " + t("Campaign dropped; nothing was sent."), edit=True)
        return ConversationHandler.END
    await send_pressed(update, context, campaign_id)
    forget(context, "campaign")
    return ConversationHandler.END


async def send_pressed(update: Update, context: BotContext, campaign_id: int) -> None:
    refused = _refusal(context)
    if refused:
        await say(update, context, refused)
        return
    async with context.unit_of_work() as session:
        campaign = await campaigns.load_campaign(session, context.member, campaign_id)
        chosen = await condition_of_words(session, context.member, _words(campaign.audience))
        audience = await campaigns.start(session, context.member, campaign_id, chosen)
    await say(update, context, "🚀 " + context.t(
        "Sending to {send} customers at up to {rate} a minute; {holdout} held out. You will "
        "be told when it is done; /campaigns shows how it goes.").format(
            send=audience.send, rate=context.settings.email.per_minute,
            holdout=audience.holdout), edit=True)


async def campaign_button(update: Update, context: BotContext) -> None:
    """Resume or Stop under /campaigns; Send pressed on an old preview."""
    match = await pressed(update, context, BUTTON)
    if match is None:
        return
    campaign_id, action = int(match.group(1)), match.group(2)
    await acknowledge(update)
    if action == "send":
        await send_pressed(update, context, campaign_id)
        return
    async with context.unit_of_work() as session:
        if action == "resume":
            campaigns.may_run_campaigns(context.member, context.settings.email.reps_may_send)
            campaign = await campaigns.resume(session, context.member, campaign_id)
        elif action in ("stop", "cancel"):
            campaign = await campaigns.stop(session, context.member, campaign_id)
        else:
            return
        found = await campaigns.report(session, campaign)
    await say(update, context, report_text(context.t, found, None),
              report_keyboard(context.t, campaign), edit=True)


async def campaigns_command(update: Update, context: BotContext) -> None:
    campaigns.may_run_campaigns(context.member, context.settings.email.reps_may_send)
    zone = ZoneInfo(context.member.timezone)
    now = utcnow()
    async with context.unit_of_work() as session:
        listed = await campaigns.recent_campaigns(session, context.member)
        reports = [await campaigns.report(session, c) for c in listed]
    if not reports:
        await say(update, context, "📧 " + context.t("No campaigns yet. /campaign starts one."))
        return
    for found in reports:
        ends = found.window_ends
        pending = ends.astimezone(zone).date().isoformat() if ends and ends > now else None
        await say(update, context, report_text(context.t, found, pending),
                  report_keyboard(context.t, found.campaign))


async def cancel(update: Update, context: BotContext) -> int:
    campaign_id = _draft_id(context)
    if campaign_id is not None:
        async with context.unit_of_work() as session:
            campaign = await campaigns.load_campaign(session, context.member, campaign_id)
            if campaign.status == CampaignStatus.DRAFT:
                await campaigns.stop(session, context.member, campaign_id)
    return await cancel_flow(update, context, "campaign")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(ConversationHandler(
        name="campaign",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("campaign", campaign_command)],
        states={
            WHO: [MessageHandler(PRIVATE_TEXT, who_answered)],
            SUBJECT: [MessageHandler(PRIVATE_TEXT, subject_answered),
                      CallbackQueryHandler(preview_pressed, pattern=r"^cmp:")],
            BODY: [MessageHandler(PRIVATE_TEXT, body_answered),
                   CallbackQueryHandler(preview_pressed, pattern=r"^cmp:")],
            PREVIEW: [CallbackQueryHandler(preview_pressed, pattern=r"^cmp:")],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    ))
    app.add_handler(CommandHandler("campaigns", campaigns_command))
    app.add_handler(CallbackQueryHandler(campaign_button, pattern=r"^cmp:"))

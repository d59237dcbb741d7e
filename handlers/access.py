"""The gate every update passes first, and invites."""

from __future__ import annotations

from typing import Any

from telegram import InlineQueryResultsButton, Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, TypeHandler

from bot.runtime.context import RUNTIME, BotContext
from bot.runtime.ratelimit import RequestLimiter
from handlers.common import acknowledge, say
from storage import users
from storage.errors import NotFound
from storage.models import Role

# The start parameter of the button a non-member's inline query gets: not an invite, so
# they are told their Telegram ID to send to their admin.
FROM_INLINE = "join"


def profile_of(update: Update) -> users.Profile | None:
    person = update.effective_user
    if person is None or person.is_bot:
        return None
    return users.Profile(person.id, person.full_name, person.username, person.language_code)


def invite_token(update: Update) -> str | None:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    parts = text.split()
    if len(parts) == 2 and parts[0].split("@")[0] == "/start" and parts[1] != FROM_INLINE:
        return parts[1]
    return None


async def admit(update: Update, context: BotContext) -> None:
    """Lets members through as `context.actor`; everyone else gets a polite refusal."""
    profile = profile_of(update)
    if profile is None:
        raise ApplicationHandlerStop
    context.telegram_language = profile.language_code
    settings = context.settings
    refusal = None
    # A member's profile refreshed here is no effect of the update: written again if the
    # update is handled again after a crash, it does not mark the update done.
    async with context.unit_of_work(settles=False) as session:
        member = await users.admit(
            session, profile, admin_ids=settings.admin_ids, timezone=settings.team.timezone
        )
        token = invite_token(update)
        if member is None and token:
            try:
                member = await users.redeem_invite(
                    session, token, profile, timezone=settings.team.timezone
                )
            except NotFound:
                refusal = context.t("This invite link is not valid any more. Ask for a new one.")
        if member is not None:
            context.actor = users.actor_for(member, settings.team.visibility)
    if context.actor is None:
        await refuse(update, context, refusal, profile.telegram_id)
        raise ApplicationHandlerStop
    if update.inline_query is not None:
        return  # one a keystroke, cached by Telegram per member: not counted as requests
    limiter: RequestLimiter = context.application.bot_data[LIMITER]
    if not limiter.allow(profile.telegram_id):
        if limiter.should_warn(profile.telegram_id):
            await refuse(update, context, "⏳ " + context.t(
                "Slow down, please: at most {limit} requests a minute. Try again in {seconds} s."
            ).format(limit=limiter.per_minute,
                     seconds=limiter.wait_seconds(profile.telegram_id)), profile.telegram_id)
        else:
            await acknowledge(update)
        raise ApplicationHandlerStop


async def refuse(update: Update, context: BotContext, reason: str | None, telegram_id: int
                 ) -> None:
    text = reason or context.t(
        "Sorry, this is a private team bot. Your Telegram ID is {id}. "
        "Send it to your admin to be invited."
    ).format(id=telegram_id)
    if update.inline_query is not None:  # no results, and the way to the bot
        await update.inline_query.answer([], cache_time=0, is_personal=True,
                                         button=InlineQueryResultsButton(
                                             text=context.t("Start the bot to join"),
                                             start_parameter=FROM_INLINE))
    elif update.callback_query is not None:
        await acknowledge(update, text, alert=True)
    elif update.effective_chat is not None and update.effective_chat.type == "private":
        await context.bot.send_message(update.effective_chat.id, text)


async def invite(update: Update, context: BotContext) -> None:
    t = context.t
    arg = (context.args or ["rep"])[0].lower()
    if arg not in (Role.REP, Role.MANAGER):
        await say(update, context, t("Usage: /invite rep or /invite manager"))
        return
    async with context.unit_of_work() as session:
        created = await users.create_invite(session, context.member, Role(arg))
    link = f"https://t.me/{context.bot.username}?start={created.token}"
    await say(update, context, t(
        "One-time invite for a {role}, valid for 7 days:\n{link}\n\n"
        "In the console, the new member sends: /start {token}"
    ).format(role=arg, link=link, token=created.token))


LIMITER = "request_limiter"
GATE = -2  # before everything, even the group chat's own filter (group -1)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings = app.bot_data[RUNTIME].settings
    app.bot_data[LIMITER] = RequestLimiter(settings.team.requests_per_minute)
    app.add_handler(TypeHandler(Update, admit), group=GATE)
    app.add_handler(CommandHandler("invite", invite))

"""The team's group chat. Members look customers up there with /find or by replying to
the bot; cards posted there carry no edit buttons (handlers/customers.show_card); a
manager sends /teamgroup there to have their Monday summary posted to it. Anything else
addressed to the bot in a group gets one pointer to the private chat, and someone who is
not a member gets nothing (the access gate runs first)."""

from __future__ import annotations

import re
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.runtime.context import BotContext
from handlers.common import expired_button, say
from handlers.search import look_up
from storage import team

GROUP_CHATS = (ChatType.GROUP, ChatType.SUPERGROUP)
IN_GROUPS = {"find", "teamgroup"}
# The buttons of a results list ("Found 3:"); a card in a group has none.
OPEN_CARD = re.compile(r"^c:\d{1,10}:open$")
REPLY_IN_GROUP = filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND


def in_group(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type in GROUP_CHATS


def command_of(message: Message, bot_username: str) -> str | None:
    """"find" for /find or /find@thisbot; "" for a command to another bot."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    command, _, addressee = text.split()[0][1:].partition("@")
    return command.lower() if addressee in ("", bot_username) else ""


def replies_to_bot(message: Message, bot_id: int) -> bool:
    quoted = message.reply_to_message
    return quoted is not None and quoted.from_user is not None and quoted.from_user.id == bot_id


async def only_lookups(update: Update, context: BotContext) -> None:
    """Runs after the gate, before every feature: in a group only lookups go on."""
    if not in_group(update):
        return
    query, message = update.callback_query, update.effective_message
    if query is not None:
        if OPEN_CARD.match(query.data or ""):
            return
        await expired_button(update, context)
    elif message is not None:
        command = command_of(message, context.bot.username)
        if command in IN_GROUPS:
            return
        if command is None and replies_to_bot(message, context.bot.id):
            return
        if command:
            await say(update, context, context.t(
                "In a group I look customers up: /find wxm, or reply to me with a name. "
                "For everything else, write to me in private."))
    raise ApplicationHandlerStop


async def lookup_reply(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await look_up(update, context, message.text)


async def teamgroup(update: Update, context: BotContext) -> None:
    chat, t = update.effective_chat, context.t
    if chat is None or not in_group(update):
        await say(update, context, t(
            "Send /teamgroup in your team's group: your Monday summary then goes there."))
        return
    stop = (context.args or [""])[0].lower() == "off"
    async with context.unit_of_work() as session:
        if stop:
            await team.forget_team_group(session, context.member)
            await say(update, context, t("This group no longer gets the Monday summary."))
        else:
            await team.set_team_group(session, context.member, chat.id, chat.title or "")
            await say(update, context, t(
                "This group now gets your Monday summary, with the team's numbers and "
                "charts. /teamgroup off stops it."))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, only_lookups), group=-1)
    app.add_handler(CommandHandler("teamgroup", teamgroup))
    app.add_handler(MessageHandler(REPLY_IN_GROUP, lookup_reply))

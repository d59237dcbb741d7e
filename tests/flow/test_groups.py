"""The team's group chat: lookups there, cards without edit buttons, nothing for anyone
else, and the Monday summary posted to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine

from bot.process.transports.fakeapi import BOT_USERNAME, BotMessage
from bot.process.transports.inprocess import deliver_pending
from tests.flow.conftest import ADMIN, Bot, join
from tests.harness import Chat

GROUP = -100123


async def in_group(bot: Bot, chat: Chat, text: str, reply_to: BotMessage | None = None
                   ) -> list[BotMessage]:
    """What the bot posted to the group in answer."""
    before = len(bot.api.chat(GROUP))
    bot.api.user_sends(chat.person, text, in_group=GROUP,
                       reply_to=reply_to.message_id if reply_to else None)
    await deliver_pending(bot.app, bot.api)
    return bot.api.chat(GROUP)[before:]


async def test_members_look_up_in_the_group_and_nobody_else_gets_anything(bot: Bot) -> None:
    bot.api.group(GROUP, "Sales team")
    alice = bot.chat(ADMIN, "Alice")
    await alice.press(await alice.say("/add 王小明 138 1234 5678 ACME 上海"), "Save")
    similar = await alice.press(await alice.say("/add 王晓明 139 0000 1111 Globex"), "Save")
    await alice.press(similar, "Add anyway")  # a similar name, another person
    rep = await join(bot, 201, "Bob")

    (card,) = await in_group(bot, alice, f"/find@{BOT_USERNAME} 138 1234 5678")
    assert card.text.startswith("王小明  C-000001")
    assert card.buttons == []  # read in the group, edited in private

    (found,) = await in_group(bot, rep, "wxm", reply_to=card)  # a reply to the bot
    assert found.text == "Found 2:"
    bot.api.user_presses(rep.person, found, found.button_data("王晓明"))
    await deliver_pending(bot.app, bot.api)
    opened = bot.api.chat(GROUP)[-1]
    assert opened.text.startswith("王晓明  C-000002") and opened.buttons == []

    assert await in_group(bot, rep, "/add@another_bot x") == []  # not for us
    (hint,) = await in_group(bot, rep, "/add 张伟 13955556666")
    assert "In a group I look customers up" in hint.text
    assert "张伟" not in (await alice.say("zw")).text  # nothing was saved

    stranger = bot.chat(999, "Mallory")
    assert await in_group(bot, stranger, "/find wxm") == []
    assert await in_group(bot, stranger, "wxm", reply_to=card) == []
    assert not stranger.inbox()  # not even a refusal in private: they wrote in a group


async def test_a_manager_sends_the_monday_summary_to_the_group(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    bot.api.group(GROUP, "Sales team")
    manager = await join(bot, 301, "Mia", role="manager")
    rep = await join(bot, 201, "Bob")
    assert "Only a manager" in (await in_group(bot, rep, "/teamgroup"))[0].text
    (set_,) = await in_group(bot, manager, "/teamgroup")
    assert "This group now gets your Monday summary" in set_.text
    await rep.press(await rep.say("/add 王小明 13812345678"), "Save")
    await bot.sweep()
    frozen_time.move_to(datetime(2026, 11, 23, 0, 0, 10, tzinfo=UTC))  # Monday 08:00 local
    await bot.sweep()
    weekly = [m for m in bot.api.chat(GROUP) if "Team week" in m.text]
    assert len(weekly) == 1 and "Bob: 1 new" in weekly[0].text
    assert not [m for m in manager.inbox() if "Team week" in m.text]

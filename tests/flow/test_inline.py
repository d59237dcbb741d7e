"""Inline lookups (`@bot wxm` in any chat), through the whole Application."""

from __future__ import annotations

from typing import Any

from bot.process.transports.fakeapi import InlineAnswer
from bot.process.transports.inprocess import deliver_pending
from tests.flow.conftest import ADMIN, Bot, join
from tests.harness import Chat


async def inline(bot: Bot, chat: Chat, query: str) -> InlineAnswer:
    query_id = bot.api.user_types_inline(chat.person, query, chat_type="group")
    await deliver_pending(bot.app, bot.api)
    return bot.api.inline_answers[query_id]


async def add(chat: Chat, line: str) -> None:
    card = await chat.say(f"/add {line}")
    assert "Saved as" in (await chat.press(card, "Save")).text


async def test_a_member_finds_by_pinyin_and_posts_a_compact_card(bot: Bot) -> None:
    alice = bot.chat(ADMIN, "Alice")
    await add(alice, "王小明 138 1234 5678 ACME 上海")
    await add(alice, "李雷 139 0000 1111 Hanmei Trading")

    answer = await inline(bot, alice, "wxm")
    assert [a.title for a in answer.articles] == ["王小明 · ACME"]
    assert answer.articles[0].description == "C-000001 · 138 1234 5678"
    posted = answer.articles[0].text  # what choosing it puts into the group
    assert posted.splitlines() == ["王小明  C-000001", "🏢 ACME", "📞 138 1234 5678",
                                   "👤 Owner: Alice"]
    assert answer.is_personal and answer.cache_time <= 10

    by_phone = await inline(bot, alice, "1111")
    assert [a.title for a in by_phone.articles] == ["李雷 · Hanmei Trading"]
    recent = await inline(bot, alice, "")  # nothing typed: what changed last first
    assert [a.title for a in recent.articles] == ["李雷 · Hanmei Trading", "王小明 · ACME"]


async def test_a_rep_sees_only_their_own_and_a_stranger_nothing(make_bot: Any) -> None:
    bot: Bot = await make_bot(visibility="own")
    alice = bot.chat(ADMIN, "Alice")
    await add(alice, "王小明 138 1234 5678 ACME")
    rep = await join(bot, 201, "Bob")
    await add(rep, "张伟 139 5555 6666 Globex")

    assert [a.title for a in (await inline(bot, rep, "")).articles] == ["张伟 · Globex"]
    assert (await inline(bot, rep, "wxm")).articles == []
    assert len((await inline(bot, alice, "")).articles) == 2  # the admin sees the team's

    stranger = bot.chat(999, "Mallory")
    refused = await inline(bot, stranger, "wxm")
    assert refused.articles == []
    assert refused.button is not None and refused.button["start_parameter"] == "join"
    # The button opens the bot with /start join: told their ID, not "invalid invite".
    reply = await stranger.say("/start join")
    assert "Your Telegram ID is 999" in reply.text

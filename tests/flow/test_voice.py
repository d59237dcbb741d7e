"""Voice notes through a speech-to-text service (tests/speech_service.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Interaction
from tests.flow.conftest import ADMIN, Bot
from tests.harness import Chat
from tests.speech_service import SpeechService


async def logged(bot: Bot) -> list[Interaction]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Interaction).order_by(Interaction.id)))


async def with_wang(bot: Bot) -> Chat:
    chat = bot.chat(ADMIN, "Alice")
    await chat.press(await chat.say("/add 王小明 13812345678 ACME"), "Save")
    return chat


async def voice(chat: Chat, audio: bytes) -> list[Any]:
    chat.api.user_sends_voice(chat.person, audio)
    return await chat._deliver()


async def test_a_voice_note_becomes_a_log_card_and_keeps_its_recording(
    make_bot: Any, speech_service: SpeechService
) -> None:
    bot: Bot = await make_bot(speech={"url": speech_service.url, "key": "sk-test"})
    chat = await with_wang(bot)
    (card,) = await voice(chat, "SAY:和王小明通话，要报价，下周五下午3点跟进".encode())
    assert "📞 Call · 王小明" in card.text and "2026-11-27 15:00" in card.text
    await chat.press(card, "Save")
    reply = await chat.reply_voice(await chat.say("wxm"), "SAY:客户要样品".encode())
    assert "王小明" in reply.text and "客户要样品" in reply.text
    await chat.press(reply, "Save")
    [call, sample] = await logged(bot)
    assert call.summary == "和王小明通话，要报价，下周五下午3点跟进"
    assert call.attachment_kind == "voice" and sample.summary == "客户要样品"
    assert [h["authorization"] for h in speech_service.heard] == ["Bearer sk-test"] * 2


async def test_with_the_service_down_the_recording_is_kept_and_the_member_told(
    make_bot: Any, speech_service: SpeechService
) -> None:
    bot: Bot = await make_bot(speech={"url": speech_service.url})
    chat = await with_wang(bot)
    speech_service.down = True
    card = await chat.reply_voice(await chat.say("wxm"), "SAY:客户要样品".encode())
    assert "could not turn this voice note into text" in chat.inbox()[-2].text
    assert "📞 Call · 王小明" in card.text
    await chat.press(card, "Save")
    [kept] = await logged(bot)
    assert kept.attachment_kind == "voice" and kept.summary == ""


async def test_without_a_service_a_voice_note_is_left_as_before(bot: Bot) -> None:
    chat = await with_wang(bot)
    assert await voice(chat, "SAY:和王小明通话".encode()) == []
    assert await logged(bot) == []

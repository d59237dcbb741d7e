"""`salesbot run` as a real process, long-polling a Bot API server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.process.transports.fakeapi import FakeBotApi, FakeUser
from tests.cards import LI, known
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.harness import poll_until
from tests.speech_service import SpeechService


@pytest.fixture
async def running_bot(server: tuple[FakeBotApi, BotApiServer], database_url: str,
                      tmp_path: Path) -> AsyncIterator[FakeBotApi]:
    api, http = server
    bot = BotProcess(write_config(tmp_path, http.url, database_url))
    try:
        await bot.start(api)
        yield api
    finally:
        stderr = await bot.stop()
        assert "Traceback" not in stderr, stderr[-3000:]


async def add_wang(api: FakeBotApi, person: FakeUser) -> None:
    """王小明 of ACME in 上海, saved as C-000001."""
    api.user_sends(person, "/add 王小明 138 1234 5678 ACME 上海")
    card = await poll_until(lambda: next(
        (m for m in api.chat(person.id) if "is this right?" in m.text), None))
    api.user_presses(person, card, "add:save")
    await poll_until(lambda: "Saved as C-000001." in card.text)


def last_text(api: FakeBotApi, chat_id: int) -> str:
    messages = api.chat(chat_id)
    return messages[-1].text if messages else ""


async def test_add_confirm_and_find_over_http(running_bot: FakeBotApi) -> None:
    api = running_bot
    alice = api.user(ADMIN, "Alice")
    api.user_sends(alice, "/add 王小明 138 1234 5678 ACME 上海")
    card = await poll_until(lambda: next(
        (m for m in api.chat(ADMIN) if "is this right?" in m.text), None))
    assert "Phone: 138 1234 5678" in card.text
    api.user_presses(alice, card, "add:save")
    await poll_until(lambda: "Saved as C-000001." in card.text)

    api.fail_next("sendMessage", 429, retry_after=1)  # Telegram's flood control, once
    api.user_sends(alice, "wxm")
    await poll_until(lambda: last_text(api, ADMIN).startswith("王小明  C-000001"))
    api.user_sends(alice, "5678")
    await poll_until(lambda: len([m for m in api.chat(ADMIN)
                                  if m.text.startswith("王小明  C-000001")]) == 2)

    # A 500, then a connection reset: each lookup's answer still arrives, once.
    for fault in ("500", "reset"):
        if fault == "500":
            api.fail_next("sendMessage", 500)
        else:
            api.drop_next("sendMessage", "reset")
        def answers() -> int:
            return len([m for m in api.chat(ADMIN) if m.text.startswith("王小明  C-000001")])

        shown = answers()
        api.user_sends(alice, "wxm")
        await poll_until(lambda expected=shown + 1: answers() == expected)
    # A press whose edit is carried out but whose answer never comes: the bot gives up
    # waiting, tries again ("not modified") and goes on.
    api.user_sends(alice, "/add 李雷 13900001111")
    card = await poll_until(lambda: next(
        (m for m in api.chat(ADMIN) if "李雷" in m.text and "is this right?" in m.text), None))
    api.drop_next("editMessageText", "timeout", carried_out=True)
    api.user_presses(alice, card, "add:save")
    await poll_until(lambda: "Saved as C-000002." in card.text, timeout=30)
    api.user_sends(alice, "李雷")
    await poll_until(lambda: last_text(api, ADMIN).startswith("李雷  C-000002"), timeout=30)
    assert not [m for m in api.chat(ADMIN) if "Something went wrong" in m.text]


async def test_stranger_is_refused_and_bad_html_never_reaches_telegram(
    running_bot: FakeBotApi,
) -> None:
    api = running_bot
    stranger = api.user(9999, "Mallory")
    api.user_sends(stranger, "/add <b>x</b>")
    await poll_until(lambda: "9999" in last_text(api, 9999))
    alice = api.user(ADMIN, "Alice")
    api.user_sends(alice, "/add <script>&amp; 13812345678")
    card = await poll_until(lambda: next(
        (m for m in api.chat(ADMIN) if "is this right?" in m.text), None))
    assert "<script>&amp;" in card.text


async def test_inline_lookup_over_http_even_when_the_answer_fails_once(
    running_bot: FakeBotApi,
) -> None:
    api = running_bot
    alice = api.user(ADMIN, "Alice")
    await add_wang(api, alice)

    api.fail_next("answerInlineQuery", 502)  # answered on the retry
    query_id = api.user_types_inline(alice, "wxm", chat_type="supergroup")
    answer = await poll_until(lambda: api.inline_answers.get(query_id))
    assert [a.title for a in answer.articles] == ["王小明 · ACME"]
    assert "📞 138 1234 5678" in answer.articles[0].text

    stranger = api.user(9999, "Mallory")
    refused_id = api.user_types_inline(stranger, "wxm")
    refused = await poll_until(lambda: api.inline_answers.get(refused_id))
    assert refused.articles == [] and refused.button is not None


async def test_a_lookup_in_the_team_group_over_http(running_bot: FakeBotApi) -> None:
    api = running_bot
    api.enforce_flood_limits(overall=30, per_chat=1)  # and 20 a minute to a group
    group = api.group(-100777, "Sales team")
    alice = api.user(ADMIN, "Alice")
    await add_wang(api, alice)

    api.user_sends(alice, "/find wxm", in_group=group)
    api.user_sends(api.user(9999, "Mallory"), "/find wxm", in_group=group)
    api.user_sends(alice, "/find 5678", in_group=group)
    await poll_until(lambda: len(api.chat(group)) == 2, timeout=20)  # paced: 3.3 s apart
    assert all(m.text.startswith("王小明  C-000001") and not m.buttons for m in api.chat(group))
    assert api.flood_refusals == 0 and not api.chat(9999)


async def test_a_voice_note_logs_a_call_over_http(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path,
    speech_service: SpeechService,
) -> None:
    api, http = server
    bot = BotProcess(write_config(tmp_path, http.url, database_url,
                                  f'[speech]\nurl = "{speech_service.url}"\n'))
    await bot.start(api)
    try:
        alice = api.user(ADMIN, "Alice")
        await add_wang(api, alice)
        api.user_sends_voice(alice, b"SAY:met wang xiaoming, wants a quote")
        draft = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN) if "wants a quote" in m.text), None))
        assert "王小明" in draft.text
        api.user_presses(alice, draft, draft.button_data("Save"))
        await poll_until(lambda: "Logged on 王小明's timeline" in draft.text)
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]


async def test_a_business_card_photo_becomes_a_customer_over_http(
    running_bot: FakeBotApi,
) -> None:
    api = running_bot
    alice = api.user(ADMIN, "Alice")
    api.user_sends_photo(alice, known(LI, "two columns", seed=5))
    card = await poll_until(lambda: next(
        (m for m in api.chat(ADMIN) if "is this right?" in m.text), None), timeout=60)
    assert "Name: 李娜" in card.text and "Phone: 139 0123 4567" in card.text
    api.user_presses(alice, card, "add:save")
    await poll_until(lambda: "Saved as C-000001." in card.text)
    api.user_sends(alice, "李娜")
    await poll_until(lambda: last_text(api, ADMIN).startswith("李娜  C-000001"))

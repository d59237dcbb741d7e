"""Telegram's everyday failures while answering: a 500, a reset, a lost answer, a 429.
Each is retried; the member sees the answer, not "Something went wrong"; only a failure
that outlasts `telegram.retry_seconds` reaches the error handler, once."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.flow.conftest import ADMIN, Bot


async def added(bot: Bot) -> Any:
    chat = bot.chat(ADMIN, "Alice")
    await chat.press(await chat.say("/add 王小明 138 1234 5678 ACME 上海"), "Save")
    return chat


def attempts(bot: Bot, method: str) -> int:
    return sum(1 for m, _ in bot.api.calls if m.lower() == method.lower())


async def test_a_lookup_whose_reply_fails_once_still_arrives(bot: Bot) -> None:
    chat = await added(bot)
    for fault in ("500", "reset", "429"):
        before = attempts(bot, "sendMessage")
        if fault == "500":
            bot.api.fail_next("sendMessage", 500)
        elif fault == "429":
            bot.api.fail_next("sendMessage", 429, retry_after=1)
        else:
            bot.api.drop_next("sendMessage", "reset")
        answer = await chat.say("wxm")
        assert answer.text.startswith("王小明  C-000001"), fault
        assert "Something went wrong" not in "\n".join(m.text for m in chat.inbox())
        assert attempts(bot, "sendMessage") == before + 1  # the failed one is not recorded


async def test_a_press_whose_edit_times_out_once_still_edits(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    card = await chat.say("/add 王小明 138 1234 5678 ACME 上海")
    # The edit reached Telegram, its answer was lost; the retry finds it "not modified".
    bot.api.drop_next("editMessageText", "timeout", carried_out=True)
    saved = await chat.press(card, "Save")
    assert "Saved as C-000001" in saved.text
    assert "Something went wrong" not in "\n".join(m.text for m in chat.inbox())


async def test_a_failure_that_outlasts_the_retries_reaches_the_error_handler_once(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot: Bot = await make_bot(telegram={"retry_seconds": 0.3})
    chat = await added(bot)
    bot.api.fail_next("sendMessage", 502, times=1000)
    with caplog.at_level(logging.ERROR):
        await chat.send("wxm")
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and "update failed" in failures[0].getMessage()
    assert attempts(bot, "sendMessage") >= 1

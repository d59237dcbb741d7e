"""`salesbot run` as a real process, long-polling a Bot API server on loopback."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotApi
from tests.e2e.server import BotApiServer
from tests.harness import poll_until

TOKEN = "123456:TEST-TOKEN"
ADMIN = 4242


@pytest.fixture
async def running_bot(database_url: str, tmp_path: Path) -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    server = BotApiServer(api, TOKEN)
    await server.start()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "{server.url}"\npoll_timeout = 1\n'
        f'[database]\nurl = "{database_url}"\n'
        f"[team]\nadmins = [{ADMIN}]\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESBOT_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run",
        env={**env, "PYTHONUNBUFFERED": "1"}, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await poll_until(lambda: "zh" in api.commands or process.returncode is not None,
                         timeout=60)
        assert process.returncode is None, "the bot exited at start"
        yield api
    finally:
        if process.returncode is None:
            process.terminate()
        _, stderr = await process.communicate()
        await server.stop()
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-3000:]


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

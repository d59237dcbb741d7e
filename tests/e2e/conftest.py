"""The HTTP fake Bot API every end-to-end test talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.process.transports.fakeapi import FakeBotApi
from tests.e2e.process import STARTED, TOKEN
from tests.e2e.server import BotApiServer


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeBotApi, BotApiServer]]:
    api = FakeBotApi()
    server = BotApiServer(api, TOKEN)
    await server.start()
    yield api, server
    await server.stop()


@pytest.fixture(autouse=True)
async def no_bot_left_running() -> AsyncIterator[None]:
    """A bot left running by a test holds PostgreSQL's instance lock and sends the
    reminders of the tests after it: each of those then fails, far from the cause. The
    bot is killed here, and the test that left it fails."""
    yield
    left = [process for process in STARTED if process.returncode is None]
    STARTED.clear()
    said = []
    for process in left:
        process.kill()
        _, stderr = await process.communicate()
        said.append((stderr or b"").decode(errors="replace")[-2000:])
    assert not left, f"the test left {len(left)} bot process(es) running (now killed): {said}"

"""The HTTP fake Bot API every end-to-end test talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.transports.fakeapi import FakeBotApi
from tests.e2e.process import TOKEN
from tests.e2e.server import BotApiServer


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeBotApi, BotApiServer]]:
    api = FakeBotApi()
    server = BotApiServer(api, TOKEN)
    await server.start()
    yield api, server
    await server.stop()

"""Telegram's flood limits kept by pacing, each chat on its own clock.

Telegram refuses (429) more than about 30 messages a second from one bot, more than one a
second to one private chat and more than 20 a minute to one group. PTB's AIORateLimiter
paces the overall rate and groups, not private chats, and after a 429 it holds up every
request of the bot until the wait is over: one member's burst then delays everyone (9.9 s
for a colleague behind 40 quick messages, measured against a fake that enforced the
per-chat limit). Here a message waits for its own chat's turn first and only then for the
overall one, so a chat being paced never holds a place in the overall queue; a 429 that
comes anyway is retried below, by the request (bot/process/transports/retrying.py), for that one
call only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.ext import BaseRateLimiter

# A bucket of 30 would let 30 go at once and 30 more within the same second; a bucket of
# one refilled 30 times a second never exceeds the limit in any one-second window
# (measured in bench/reminders.py).
OVERALL_PER_SECOND = 30
PRIVATE_CHAT_PER_SECOND = 1
GROUP_PER_MINUTE = 20
# Telegram counts when a message arrives, not when it left: two sent exactly a second
# apart may arrive 0.99 s apart and the second is refused. Without a margin 34 of 40
# paced replies to one chat were refused by the fake (which counts as strictly); with
# 10% none on an idle machine, but 26 of 40 while a campaign was being sent on the same
# two cores (CI, 2026-12-07): the departures' jitter then passed 100 ms. With 25%, none.
MARGIN = 1.25
# Chats idle this long lose their limiter (it holds nothing any more).
FORGET_AFTER = 120.0


class ChatPacing(BaseRateLimiter[None]):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.overall = AsyncLimiter(1, 1 / OVERALL_PER_SECOND)
        self.chats: dict[int | str, tuple[AsyncLimiter, float]] = {}
        self.clock = clock

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter:
        now = self.clock()
        if len(self.chats) > 1000:
            self.chats = {key: (limiter, used) for key, (limiter, used) in self.chats.items()
                          if now - used < FORGET_AFTER}
        limiter = self.chats.get(chat_id, (None, now))[0]
        if limiter is None:
            group = isinstance(chat_id, str) or chat_id < 0
            limiter = AsyncLimiter(1, MARGIN * (60 / GROUP_PER_MINUTE if group
                                                else 1 / PRIVATE_CHAT_PER_SECOND))
        self.chats[chat_id] = (limiter, now)
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        if chat_id is None:  # getUpdates, answers to button presses, inline answers
            return await callback(*args, **kwargs)
        async with AsyncExitStack() as waits:
            if endpoint.startswith("send"):  # new messages; edits are not paced per chat
                key: int | str = int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id
                await waits.enter_async_context(self._chat_limiter(key))
            await waits.enter_async_context(self.overall)
            return await callback(*args, **kwargs)

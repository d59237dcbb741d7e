"""Every Bot API call retried through Telegram's everyday failures, for a bounded time.

A timeout, a reset connection, a 5xx or a 429 (after its `retry_after`) is tried again
with a backoff of 0.25 s doubling to 4 s, until `retry_seconds` (30 by default) have
passed; only then does the failure reach the caller, and through it the error handler,
once. Other answers (200, 400, 403 …) come back at once. getUpdates keeps its own
request object and the Updater's own retry loop.

A retried call may have reached Telegram the first time (a timeout after the request was
sent): a message may then arrive twice, an edit is applied twice (the second is "not
modified"), a button's answer is answered twice (refused, harmless). docs/decisions.md
says what a member can see.
"""

from __future__ import annotations

import asyncio
import json
import logging

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.runtime import metrics

log = logging.getLogger(__name__)
FIRST_WAIT, LONGEST_WAIT = 0.25, 4.0


class RetryingRequest(BaseRequest):
    def __init__(self, inner: BaseRequest, retry_seconds: float) -> None:
        self.inner, self.retry_seconds = inner, retry_seconds

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_seconds
        backoff = FIRST_WAIT
        while True:
            try:
                code, payload = await self.inner.do_request(
                    url, method, request_data, read_timeout, write_timeout, connect_timeout,
                    pool_timeout)
            except NetworkError as error:  # timeouts and connection errors (TimedOut too)
                wait, what = backoff, str(error)
                if loop.time() + wait > deadline:
                    raise
            else:
                if code == 429:
                    metrics.TELEGRAM_429.inc()
                    wait, what = _retry_after(payload, backoff), "429"
                elif code >= 500:
                    wait, what = backoff, str(code)
                else:
                    return code, payload
                if loop.time() + wait > deadline:
                    return code, payload
            call = url.rsplit("/", 1)[-1]
            log.warning("%s: %s; trying again in %.2f s", call, what, wait)
            metrics.RETRIES.labels(call).inc()
            await asyncio.sleep(wait)
            backoff = min(backoff * 2, LONGEST_WAIT)


def _retry_after(payload: bytes, backoff: float) -> float:
    try:
        return float(json.loads(payload)["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return backoff

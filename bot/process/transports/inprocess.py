"""A telegram.request.BaseRequest that answers from a FakeBotApi in the same process."""

from __future__ import annotations

import json
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.process.transports.fakeapi import BotApiError, Dropped, FakeBotApi


class InProcessRequest(BaseRequest):
    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 60.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

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
        if "/file/bot" in url:
            try:
                return 200, self.api.file_content(url.split("/file/bot", 1)[1].split("/", 1)[1])
            except BotApiError as error:
                return error.status, json.dumps(error.payload()).encode()
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                file_name, content = part[0], part[1]
                data = content if isinstance(content, bytes) else content.read()
                files[name] = (file_name or name, data)
        try:
            result = await self.api.call(url.rsplit("/", 1)[-1], params, files)
        except BotApiError as error:
            return error.status, json.dumps(error.payload()).encode()
        except Dropped as dropped:  # as HTTPXRequest reports them
            if dropped.how == "timeout":
                raise TimedOut from dropped
            raise NetworkError("httpx.RemoteProtocolError: Server disconnected") from dropped
        return 200, json.dumps({"ok": True, "result": result}).encode()


async def deliver_pending(
    app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi
) -> None:
    """Hands every update the user side queued to the Application, in order."""
    for data in api.take_pending():
        await app.process_update(Update.de_json(data, app.bot))

"""The FakeBotApi served over real HTTP on loopback, shaped like api.telegram.org."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.process.transports.fakeapi import BotApiError, Dropped, FakeBotApi


async def _params(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    if request.content_type == "application/json":
        return dict(await request.json()), {}
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if request.method == "GET":
        return dict(request.query), {}
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = (value.filename, value.file.read())
        else:
            params[name] = value
    return params, files


def make_app(api: FakeBotApi, token: str, closing: asyncio.Event) -> web.Application:
    async def method(request: web.Request) -> web.Response:
        if request.match_info["token"] != token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        params, files = await _params(request)
        try:
            result = await api.call(request.match_info["method"], params, files)
        except BotApiError as error:
            return web.json_response(error.payload(), status=error.status)
        except Dropped as dropped:
            # No answer: the connection is cut (the client sees a reset), or, for a
            # "timeout", held until the client gives up (or the server stops: aiohttp's
            # cleanup would wait a minute for the handler).
            if dropped.how == "timeout":
                await closing.wait()
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable() from dropped
        return web.Response(text=json.dumps({"ok": True, "result": result}),
                            content_type="application/json")

    async def file(request: web.Request) -> web.Response:
        try:
            return web.Response(body=api.file_content(request.match_info["path"]))
        except BotApiError as error:
            return web.json_response(error.payload(), status=error.status)

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", method)
    app.router.add_get("/file/bot{token}/{path:.*}", file)
    return app


class BotApiServer:
    """Starts on a free loopback port; `url` is what telegram.api_base_url should say."""

    def __init__(self, api: FakeBotApi, token: str) -> None:
        self.api, self.token = api, token
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(make_app(api, token, self._closing))
        self.url = ""

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.api.release_stalled()  # or cleanup waits a minute for them
        self._closing.set()
        await self._runner.cleanup()

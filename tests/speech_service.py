"""A speech-to-text service for the tests, served on loopback like an OpenAI-compatible
one: POST /v1/audio/transcriptions with a multipart `file`. The "audio" the tests send is
`SAY:` and the words; anything else is heard as silence. `down` answers 503."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class SpeechService:
    down: bool = False
    heard: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> SpeechService:
        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _transcribe(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503, text="overloaded")
        form = await request.post()
        upload = form.get("file")
        audio = upload.file.read() if isinstance(upload, web.FileField) else b""
        self.heard.append({"model": form.get("model"), "bytes": len(audio),
                           "authorization": request.headers.get("Authorization", "")})
        words = audio[4:].decode() if audio.startswith(b"SAY:") else ""
        return web.json_response({"text": words})

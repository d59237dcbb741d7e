"""Voice notes to text through an OpenAI-compatible `/audio/transcriptions` endpoint
(`[speech]` in the config). The audio goes out as Telegram gave it (OGG/Opus, which such
services accept); the words come back as the text a member would have typed."""

from __future__ import annotations

from bot.runtime.config import SpeechSettings


class TranscriptionFailed(Exception):
    """The service could not be reached, refused, or heard nothing."""


async def transcribe(settings: SpeechSettings, audio: bytes, *, language: str | None = None
                     ) -> str:
    import aiohttp  # 8 MB resident: imported by the first voice note, not at start

    form = aiohttp.FormData()
    form.add_field("file", audio, filename="voice.ogg", content_type="audio/ogg")
    form.add_field("model", settings.model)
    form.add_field("response_format", "json")
    if language:  # a hint ("zh", "en"); the service detects it otherwise
        form.add_field("language", language)
    headers = {"Authorization": f"Bearer {settings.key}"} if settings.key else {}
    timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http, http.post(
                f"{settings.url}/audio/transcriptions", data=form, headers=headers) as answer:
            if answer.status != 200:
                raise TranscriptionFailed(f"HTTP {answer.status}: {(await answer.text())[:200]}")
            body = await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise TranscriptionFailed(str(error) or type(error).__name__) from error
    text = str(body.get("text", "")).strip() if isinstance(body, dict) else ""
    if not text:
        raise TranscriptionFailed("no words heard")
    return text

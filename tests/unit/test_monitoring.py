"""/healthz when the database is there and when it is gone; the log's one line per event,
as text and as JSON, and a transient network error as one WARNING without a traceback."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import aiohttp
import pytest
from telegram.error import BadRequest, TimedOut

from bot.process import logs
from bot.process.monitoring import Monitor
from storage.database import Database
from tests.harness import free_port


async def health_of(database: Database) -> tuple[int, dict[str, object]]:
    monitor = Monitor(database, polling=True)
    monitor.role = "active"
    port = free_port()
    await monitor.start("127.0.0.1", port)
    try:
        async with aiohttp.ClientSession() as client, \
                client.get(f"http://127.0.0.1:{port}/healthz") as answer:
            return answer.status, await answer.json()
    finally:
        await monitor.stop()


async def test_healthy_with_its_database(db: Database) -> None:
    status, report = await health_of(db)
    assert status == 200
    assert report["status"] == "ok" and report["database"] == "ok"
    assert report["reminder_lag_seconds"] == 0


async def test_unhealthy_when_the_database_is_gone() -> None:
    gone = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/salesbot")
    try:
        status, report = await health_of(gone)
    finally:
        await gone.dispose()
    assert status == 503
    assert report["status"] == "unhealthy" and report["database"] == "unreachable"
    problems = report["problems"]
    assert isinstance(problems, list) and problems[0].startswith("database: ")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    yield stream
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def configure_into(stream: io.StringIO, style: str) -> None:
    logs.configure("INFO", style)  # type: ignore[arg-type]
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


def fail(error: Exception, message: str) -> None:
    try:
        raise error
    except Exception as caught:
        logging.getLogger("handlers.common").error(message, exc_info=caught)


def test_a_transient_error_is_one_warning_line_without_a_traceback(
        captured: io.StringIO) -> None:
    configure_into(captured, "text")
    fail(TimedOut(), "job failed")
    fail(BadRequest("Message is too long"), "update failed")
    first, *rest = captured.getvalue().splitlines()
    assert first.endswith("WARNING handlers.common: job failed: TimedOut: Timed out")
    # A refused request is a real error: it keeps its traceback, on its one line.
    assert len(rest) == 1 and " ERROR handlers.common: update failed" in rest[0]
    assert "Traceback (most recent call last):\\n" in rest[0]


def test_json_lines(captured: io.StringIO) -> None:
    configure_into(captured, "json")
    logging.getLogger("bot.process.service").info("active: %s", "yes")
    fail(ValueError("bad"), "update failed")
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "bot.process.service"
    assert first["message"] == "active: yes" and "traceback" not in first
    assert second["level"] == "ERROR" and second["message"] == "update failed"
    assert second["traceback"].endswith("ValueError: bad")

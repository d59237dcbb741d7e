"""The bot's log: one line per event, as text or as JSON (`logging.format`).

- A traceback stays on its event's line (text: its newlines written as `\\n`; JSON: in the
  `traceback` field), so a log shipper never splits one failure into twenty events.
- A transient network failure (a timeout, a reset connection, a 5xx from Telegram) is
  expected daily: whoever logs it with a traceback (our error handler, PTB, APScheduler),
  it becomes one WARNING line naming the error, without the traceback. The retrying
  request (bot/process/transports/retrying.py) has already named the call that failed.
- Periodic jobs stay quiet: APScheduler's "Running job" / "executed successfully" lines
  for every sweep (every 30 s) are below WARNING and dropped, and so is its "skipped:
  maximum number of running instances reached" WARNING for a sweep still running (seen
  four times in two seconds while a sweep waited for a retried send).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Literal

from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = {"httpx": logging.WARNING, "apscheduler": logging.WARNING,
         "alembic.runtime.plugins": logging.WARNING,
         "aiohttp.access": logging.WARNING}


def is_transient(error: BaseException | None) -> bool:
    """Telegram's everyday failures; BadRequest, Forbidden and InvalidToken are
    NetworkErrors to PTB but say something about the request, not the network."""
    return isinstance(error, NetworkError) and not isinstance(
        error, BadRequest | Forbidden | InvalidToken)


class TransientAsWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if is_transient(error) and record.levelno > logging.WARNING:
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = None
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def not_cut_short(record: logging.LogRecord) -> bool:
    """APScheduler cancels a job that is running when the bot stops and logs it as an
    error with a traceback; a sweep cut short by a shutdown is no error (what it had not
    confirmed is sent again after the restart)."""
    return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


def not_overlapping(record: logging.LogRecord) -> bool:
    """A sweep that runs longer than its interval (30 s) makes APScheduler skip the next
    one with a WARNING each time; the sweep that runs sends what the skipped would have."""
    return "maximum number of running instances reached" not in record.getMessage()


class OneLineText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: str = "INFO", style: Literal["text", "json"] = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if style == "json" else OneLineText(TEXT_FORMAT))
    handler.addFilter(TransientAsWarning())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("apscheduler.executors.default").addFilter(not_cut_short)
    logging.getLogger("apscheduler.scheduler").addFilter(not_overlapping)

"""What the running bot counts, for Prometheus (served by bot/process/monitoring.py).

Module-level, as prometheus-client intends: one bot is one process. The counters only go
up; the gauges about reminders are read from the database when scraped, so a standby
reports the same backlog as the active instance.
"""

from __future__ import annotations

import contextlib
import os
import time

import psutil
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from telegram import Update

from bot.runtime import workers

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter("salesbot_updates_handled", "Updates handled, by kind",
                  ["kind"], registry=REGISTRY)
# From the moment an update is handed to the processor (stored already) to the end of its
# handling, answers sent included; the chat's own queue counts, as the member waits it.
REPLY_SECONDS = Histogram(
    "salesbot_reply_latency_seconds", "Seconds from an update's arrival to its answer",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30), registry=REGISTRY)
REMINDERS_SENT = Counter("salesbot_reminders_sent", "Reminders, digests and nudges sent",
                         ["late"], registry=REGISTRY)
REMINDERS_DUE = Gauge("salesbot_reminders_due", "Reminders due now and not yet sent",
                      registry=REGISTRY)
REMINDERS_LATE = Gauge("salesbot_reminders_late",
                       "Reminders due more than a minute ago and not yet sent",
                       registry=REGISTRY)
REMINDER_LAG = Gauge("salesbot_reminder_lag_seconds",
                     "Age of the oldest reminder due and not yet sent", registry=REGISTRY)
TELEGRAM_429 = Counter("salesbot_telegram_429", "Bot API calls answered 429 (flood control)",
                       registry=REGISTRY)
RETRIES = Counter("salesbot_telegram_retries", "Bot API calls tried again, by method",
                  ["method"], registry=REGISTRY)
BACKUPS = Counter("salesbot_backups", "Backups written", registry=REGISTRY)
LAST_CONTACT = Gauge("salesbot_telegram_last_contact_timestamp_seconds",
                     "When updates were last fetched from or pushed by Telegram",
                     registry=REGISTRY)

WORKERS_ALIVE = Gauge("salesbot_workers_alive", "Worker processes running, by pool",
                      ["pool"], registry=REGISTRY)
WORKER_MEMORY = Gauge("salesbot_worker_memory_bytes",
                      "Resident memory of a pool's worker processes", ["pool"],
                      registry=REGISTRY)
TREE_MEMORY = Gauge("salesbot_process_tree_memory_bytes",
                    "Resident memory of the bot and its worker processes together",
                    registry=REGISTRY)


def read_workers() -> dict[str, dict[str, float]]:
    """Sets the worker gauges; returns each pool's processes and memory in MB, and the
    whole tree's (the bot's own included) under "total"."""
    report: dict[str, dict[str, float]] = {}
    total = _resident(os.getpid())
    for pool, pids in workers.alive().items():
        memory = sum(_resident(pid) for pid in pids)
        total += memory
        WORKERS_ALIVE.labels(pool).set(len(pids))
        WORKER_MEMORY.labels(pool).set(memory)
        report[pool] = {"processes": len(pids), "memory_mb": round(memory / 2**20, 1)}
    TREE_MEMORY.set(total)
    report["total"] = {"processes": 1 + sum(int(r["processes"]) for r in report.values()),
                       "memory_mb": round(total / 2**20, 1)}
    return report


def _resident(pid: int) -> int:
    """A process's resident memory in bytes; 0 for one that has just exited."""
    with contextlib.suppress(psutil.Error):
        return int(psutil.Process(pid).memory_info().rss)
    return 0


class Vitals:
    """What /healthz reads besides the database (monotonic clock: a wall-clock step does
    not make the bot look dead)."""

    last_contact: float | None = None


def telegram_reached() -> None:
    Vitals.last_contact = time.monotonic()
    LAST_CONTACT.set_to_current_time()


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    for kind in ("message", "callback_query", "inline_query", "edited_message",
                 "chosen_inline_result", "my_chat_member"):
        if getattr(update, kind) is not None:
            return kind
    return "other"

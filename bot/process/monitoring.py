"""`/healthz` and `/metrics` over HTTP, for a supervisor and for Prometheus.

Served from `salesbot run` on `monitoring.listen`:`monitoring.port` (off when the port is
0), in the bot's own event loop, by the active instance and the standby alike.

/healthz answers 200 with `"status": "ok"`, or 503 with `"status": "unhealthy"` and the
reasons, when:
- the database does not answer the reminder-backlog query within `DATABASE_SECONDS`;
- long polling has not heard from Telegram for `POLL_SILENCE_SECONDS` (a getUpdates call
  returns at least every `telegram.poll_timeout`, 10 s, so two minutes is many failures
  in a row; in webhook mode Telegram calls only when there is something to send, so the
  time is reported but not judged);
- the oldest reminder due and not sent is `REMINDER_LAG_SECONDS` old (the sweep runs
  every 30 s; a reminder Telegram asked us to hold back for a 429 waits at most a minute).
A standby reports its role and is healthy when its database is. Both report their worker
processes alive and the memory of the whole tree (bot and workers), which is what a small
server's limit counts; the workers are not judged, as they come and go with the work.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from bot.runtime import metrics
from storage.clock import utcnow
from storage.database import Database
from storage.models import Reminder

log = logging.getLogger(__name__)
DATABASE_SECONDS = 3.0
POLL_SILENCE_SECONDS = 120.0
REMINDER_LAG_SECONDS = 900.0
LATE_AFTER_SECONDS = 60.0


class Monitor:
    def __init__(self, database: Database, *, polling: bool) -> None:
        self.database, self.polling = database, polling
        self.role = "starting"
        self.started = time.monotonic()
        self.runner: web.AppRunner | None = None

    async def start(self, listen: str, port: int) -> None:
        app = web.Application(client_max_size=1024)
        app.router.add_get("/healthz", self.health)
        app.router.add_get("/metrics", self.metrics)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, listen, port).start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", listen, port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def health(self, _: web.Request) -> web.Response:
        problems: list[str] = []
        report: dict[str, Any] = {"role": self.role}
        try:
            lag = await asyncio.wait_for(self._reminder_backlog(), DATABASE_SECONDS)
        except Exception as error:  # any failure to reach the database is the finding
            problems.append(f"database: {type(error).__name__}: {error}".splitlines()[0])
            report["database"] = "unreachable"
        else:
            report["database"] = "ok"
            report["reminder_lag_seconds"] = round(lag, 1)
            if lag > REMINDER_LAG_SECONDS:
                problems.append(f"reminders: the oldest due one waits {lag:.0f} s")
        if self.role == "active":
            heard = metrics.Vitals.last_contact
            silence = time.monotonic() - (heard if heard is not None else self.started)
            report["seconds_since_telegram"] = round(silence, 1)
            if self.polling and silence > POLL_SILENCE_SECONDS:
                problems.append(f"telegram: no successful poll for {silence:.0f} s")
        report["workers"] = metrics.read_workers()
        report["status"] = "unhealthy" if problems else "ok"
        if problems:
            report["problems"] = problems
        return web.Response(status=503 if problems else 200, text=json.dumps(report),
                            content_type="application/json")

    async def metrics(self, _: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(self._reminder_backlog(), DATABASE_SECONDS)
        except Exception as error:  # the counters are still worth scraping
            log.warning("metrics: reminder backlog not read: %s", error)
        metrics.read_workers()
        return web.Response(body=generate_latest(metrics.REGISTRY),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _reminder_backlog(self) -> float:
        """Sets the reminder gauges; returns the oldest due reminder's wait in seconds."""
        now = utcnow()
        async with self.database.statements() as connection:
            due, late, oldest = (await connection.execute(
                select(func.count(), func.count().filter(
                    Reminder.send_after <= now - timedelta(seconds=LATE_AFTER_SECONDS)),
                    func.min(Reminder.send_after))
                .where(Reminder.send_after <= now))).one()
        lag = (now - oldest).total_seconds() if oldest is not None else 0.0
        metrics.REMINDERS_DUE.set(due)
        metrics.REMINDERS_LATE.set(late)
        metrics.REMINDER_LAG.set(lag)
        return lag


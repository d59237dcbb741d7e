"""The nightly recomputation of customer value and churn warnings (storage/sales/value.py).

The database does the aggregation; the scoring runs in a worker process (bot/runtime/workers.py),
so a team's 100,000 customers never hold up the event loop. The job looks every
`sales.value_check_minutes` and recomputes when the last run is `value_every_hours` old,
so a restart neither skips a night nor runs it twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.runtime import workers
from bot.runtime.config import SalesSettings
from storage.clock import utcnow
from storage.database import Database
from storage.sales import value

log = logging.getLogger(__name__)


async def recompute(database: Database, sales: SalesSettings) -> int:
    """Every customer's value and warning, now; how many customers were assessed."""
    now = utcnow()
    async with database.unit_of_work() as session:
        facts = await value.gather(session, now, sales.currency)
    rows = await workers.run(value.assess, facts, now, sales.churn_factor)
    async with database.unit_of_work() as session:
        await value.store(session, rows)
    return len(rows)


async def recompute_if_due(database: Database, sales: SalesSettings) -> bool:
    async with database.unit_of_work() as session:
        last = await value.last_computed(session)
    if last is not None and utcnow() - last < timedelta(hours=sales.value_every_hours):
        return False
    count = await recompute(database, sales)
    log.debug("customer value recomputed for %d customers", count)
    return True


def register(app: Application[Any, Any, Any, Any, Any, Any], database: Database,
             sales: SalesSettings) -> None:
    if app.job_queue is None:
        return

    async def job(_: ContextTypes.DEFAULT_TYPE) -> None:
        await recompute_if_due(database, sales)

    every = sales.value_check_minutes * 60
    app.job_queue.run_repeating(job, interval=every, first=min(30.0, every),
                                name="customer-value")

"""/receivables at scale (issue 28): the aging of what customers owe, over 100,000
customers with 1,000,000 purchases, 1,000,000 installments and 1,000,000 payments.

Target: the aging (`storage.sales.receivables.aging`, as /receivables runs it for a
manager) under 1 s; a colleague's lookup meanwhile, every 50 ms on the same event loop,
p99 under 100 ms. A third of the purchases carry a plan of three installments, half of
everything is paid, in part or in full.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.reminders import empty
from bench.sales import PURCHASES, lookups_meanwhile
from bench.stale import CUSTOMERS, seed
from bench.stats import percentile
from storage.database import Database
from storage.models import Installment, Payment, Purchase
from storage.sales.receivables import Aging, aging
from storage.users import Actor, Role

BATCH = 20_000


async def _bulk(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        async with db.unit_of_work() as session:
            await session.execute(insert(model), rows[start:start + BATCH])


async def seed_owed(db: Database, now: datetime) -> None:
    rng = random.Random(28)
    purchases, installments, payments = [], [], []
    for number in range(1, PURCHASES + 1):
        customer = 1 + rng.randrange(CUSTOMERS)
        amount = rng.randrange(3, 3_000) * 1_000
        bought = now - timedelta(days=rng.uniform(0, 365))
        paid = rng.choice((0, amount // 3, amount))
        purchases.append({"id": number, "customer_id": customer, "user_id": 1,
                          "product": "X1", "quantity": 1, "amount_minor": amount,
                          "paid_minor": paid, "currency": "CNY", "occurred_at": bought,
                          "created_at": now})
        if number % 3 == 0:  # a plan of three, paid in order
            left = paid
            for part in range(3):
                share = amount // 3 if part < 2 else amount - 2 * (amount // 3)
                installments.append({
                    "purchase_id": number, "customer_id": customer,
                    "due_on": (bought + timedelta(days=30 * (part + 1))).date(),
                    "amount_minor": share, "paid_minor": min(share, left), "currency": "CNY"})
                left -= min(share, left)
        payments.append({"customer_id": customer, "purchase_id": number, "user_id": 1,
                         "amount_minor": max(paid, 1), "currency": "CNY",
                         "received_at": bought, "created_at": now})
    await _bulk(db, Purchase, purchases)
    await _bulk(db, Installment, installments)
    await _bulk(db, Payment, payments)
    if db.dialect == "postgresql":
        async with db.unit_of_work() as session:
            await session.execute(text("ANALYZE"))


async def measure(url: str) -> dict[str, Any]:
    db = Database(url)
    await empty(db)
    now = datetime.now(UTC)
    started = time.perf_counter()
    await seed(db, now)
    await seed_owed(db, now)
    seeded = time.perf_counter() - started
    manager = Actor(1, 20_001, Role.ADMIN, "en", "Asia/Shanghai", "Rep 1", True)

    async def timed_agings() -> tuple[list[float], Aging]:
        runs = []
        for _ in range(5):
            began = time.perf_counter()
            async with db.unit_of_work() as session:
                found = await aging(session, manager, now.date())
            runs.append(time.perf_counter() - began)
        return runs, found

    lookups, (runs, found) = await lookups_meanwhile(db, timed_agings())
    await db.dispose()
    return {"seeded": seeded, "median": statistics.median(runs), "slowest": max(runs),
            "lookups": len(lookups), "p99": percentile(lookups, 99),
            "owed": sum(found.totals.get("CNY", {}).values())}


async def run(url: str, label: str) -> str:
    figures = await measure(url)
    slowest, p99 = figures["slowest"], figures["p99"]
    return "\n".join([
        f"### /receivables at scale: {label}", "",
        f"{CUSTOMERS:,} customers, {PURCHASES:,} purchases (a third with a plan of three "
        f"installments: {PURCHASES:,} installments) and {PURCHASES:,} payments, seeded in "
        f"{figures['seeded']:.0f} s (bench/receivables.py).", "",
        "| measure | result | target |", "|---|---|---|",
        f"| the aging for a manager (`receivables.aging`), 5 runs | median "
        f"{figures['median'] * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms | < 1 s "
        f"({'met' if slowest < 1 else 'MISSED'}) |",
        f"| a colleague's lookup meanwhile, every 50 ms ({figures['lookups']}) | p99 "
        f"{p99:.1f} ms | < 100 ms ({'met' if p99 < 100 else 'MISSED'}) |",
    ])

"""What each customer is worth and who is slipping away, recomputed in one nightly job.

`gather` reads per-customer purchase facts with one GROUP BY over the purchases (and two
small queries for complaints and low satisfaction scores); `assess` turns them into
recency, frequency and monetary scores of 1-5 (quintiles among the customers who bought
in the last year), a suggested tier and a churn warning; it is plain Python on plain
tuples so that the bot runs it in a worker process, never on its event loop; `store`
replaces the table in one transaction. Reasons are kept as a rule and its numbers and put
into words in the reader's language (bot/messages/sales.py).

Churn rules, each with its reason:
- overdue: at least 3 purchases, and the time since the last is more than `factor` times
  the customer's own mean interval (first to last purchase over the gaps between them);
- falling: purchases in the last 90 days at most half the quarterly mean of the 270 days
  before, when that mean is at least one;
- complaint: feedback with a complaint word (投诉, 不满, complain…), or a service request
  that is a complaint or a return, in the last 30 days;
- returned: goods sent back in the last 30 days;
- low score: a satisfaction score of 1 or 2 in the last 90 days, noted by a member or
  given by the customer in a survey.
Tiers are suggested from R+F+M: 13 or more core, 9 or more important, else normal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.customers import load_customer
from storage.errors import N_, Conflict
from storage.models import (
    Customer,
    CustomerValue,
    Interaction,
    InteractionKind,
    Payment,
    PaymentKind,
    Purchase,
    RequestKind,
    Satisfaction,
    ServiceRequest,
    Survey,
    Tier,
    ValueDecision,
)
from storage.users import Actor

YEAR, QUARTER = timedelta(days=365), timedelta(days=90)
_COMPLAINT = re.compile(r"投诉|抱怨|不满|差评|退货|complain|unhappy|angry|refund", re.I)
WRITE_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Facts:
    customer_id: int
    owner_id: int | None
    tier: str
    purchases: int
    first_at: datetime
    last_at: datetime
    in_year: int
    year_minor: int
    last_quarter: int
    three_quarters_before: int
    complaint_at: datetime | None = None
    low_score: tuple[int, datetime] | None = None
    returned_at: datetime | None = None  # goods sent back in the last 30 days


async def gather(session: AsyncSession, now: datetime, currency: str) -> list[Facts]:
    year_ago, quarter_ago = now - YEAR, now - QUARTER
    rows = await session.execute(
        select(Purchase.customer_id, Customer.owner_id, Customer.tier, func.count(),
               func.min(Purchase.occurred_at), func.max(Purchase.occurred_at),
               func.sum(case((Purchase.occurred_at >= year_ago, 1), else_=0)),
               func.sum(case((and_(Purchase.occurred_at >= year_ago,
                                   Purchase.currency == currency), Purchase.amount_minor),
                             else_=0)),
               func.sum(case((Purchase.occurred_at >= quarter_ago, 1), else_=0)),
               func.sum(case((and_(Purchase.occurred_at >= now - 4 * QUARTER,
                                   Purchase.occurred_at < quarter_ago), 1), else_=0)))
        .join(Customer, Customer.id == Purchase.customer_id)
        .where(Customer.archived.is_(False), Customer.merged_into_id.is_(None))
        .group_by(Purchase.customer_id, Customer.owner_id, Customer.tier))
    complaints: dict[int, datetime] = {}
    for customer_id, at, summary in await session.execute(
            select(Interaction.customer_id, Interaction.occurred_at, Interaction.summary)
            .where(Interaction.kind == InteractionKind.FEEDBACK,
                   Interaction.occurred_at >= now - timedelta(days=30))):
        if _COMPLAINT.search(summary or ""):
            complaints[customer_id] = max(at, complaints.get(customer_id, at))
    for customer_id, at in await session.execute(
            select(ServiceRequest.customer_id, ServiceRequest.created_at)
            .where(ServiceRequest.kind.in_((RequestKind.COMPLAINT, RequestKind.RETURN)),
                   ServiceRequest.created_at >= now - timedelta(days=30))):
        complaints[customer_id] = max(at, complaints.get(customer_id, at))
    low: dict[int, tuple[int, datetime]] = {}
    for customer_id, score, at in await session.execute(
            select(Satisfaction.customer_id, Satisfaction.score, Satisfaction.created_at)
            .where(Satisfaction.score <= 2, Satisfaction.created_at >= now - QUARTER)
            .order_by(Satisfaction.created_at)):
        low[customer_id] = (score, at)
    for customer_id, stars, answered in await session.execute(  # the customer's own answer
            select(Survey.customer_id, Survey.stars, Survey.answered_at)
            .where(Survey.stars <= 2, Survey.answered_at >= now - QUARTER)
            .order_by(Survey.answered_at)):
        if stars is not None and answered is not None:
            low[customer_id] = (stars, answered)
    # Returns, from their own few rows: summing returned_minor in the GROUP BY above
    # would read every purchase row from the table instead of its covering index.
    returned: dict[int, int] = {}
    returned_at: dict[int, datetime] = {}
    for customer_id, minor, at, bought in await session.execute(
            select(Payment.customer_id, Payment.amount_minor, Payment.received_at,
                   Purchase.occurred_at)
            .join(Purchase, Purchase.id == Payment.purchase_id)
            .where(Payment.kind == PaymentKind.RETURN, Payment.currency == currency,
                   Payment.received_at >= year_ago)):
        if bought >= year_ago:
            returned[customer_id] = returned.get(customer_id, 0) + int(minor)
        if at >= now - timedelta(days=30):
            returned_at[customer_id] = max(at, returned_at.get(customer_id, at))
    return [Facts(int(r[0]), r[1], r[2], int(r[3]), r[4], r[5], int(r[6] or 0),
                  int(r[7] or 0) - returned.get(r[0], 0), int(r[8] or 0), int(r[9] or 0),
                  complaints.get(r[0]), low.get(r[0]), returned_at.get(r[0])) for r in rows]


def _quintiles(values: list[float]) -> list[int]:
    """1-5 by rank, higher values higher scores; ties share the lower rank's score."""
    order = sorted(range(len(values)), key=values.__getitem__)
    scores = [0] * len(values)
    previous, previous_score = None, 1
    for rank, index in enumerate(order):
        score = previous_score if values[index] == previous else 1 + 5 * rank // len(values)
        scores[index], previous, previous_score = score, values[index], score
    return scores


def suggested_tier(score: int) -> str:
    return Tier.CORE.value if score >= 13 else Tier.IMPORTANT.value if score >= 9 \
        else Tier.NORMAL.value


def churn_reason(facts: Facts, now: datetime, factor: float) -> dict[str, Any] | None:
    since = (now - facts.last_at).days
    if facts.low_score is not None:
        return {"rule": "low_score", "score": facts.low_score[0],
                "on": facts.low_score[1].date().isoformat()}
    if facts.complaint_at is not None:
        return {"rule": "complaint", "on": facts.complaint_at.date().isoformat()}
    if facts.returned_at is not None:
        return {"rule": "returned", "on": facts.returned_at.date().isoformat()}
    if facts.purchases >= 3:
        usual = max(1, (facts.last_at - facts.first_at).days // (facts.purchases - 1))
        if since > factor * usual and since >= 14:
            return {"rule": "overdue", "days": since, "usual": usual}
    before = facts.three_quarters_before / 3
    if before >= 1 and facts.last_quarter <= before / 2:
        return {"rule": "falling", "now": facts.last_quarter, "before": round(before, 1)}
    return None


def assess(facts: list[Facts], now: datetime, factor: float) -> list[dict[str, Any]]:
    """Runs in a worker: every customer's scores, suggestion and warning, as table rows."""
    recent = [f for f in facts if f.in_year]
    r = _quintiles([-(now - f.last_at).total_seconds() for f in recent])
    f_ = _quintiles([float(f.in_year) for f in recent])
    m = _quintiles([float(f.year_minor) for f in recent])
    scores = {fact.customer_id: (r[i], f_[i], m[i]) for i, fact in enumerate(recent)}
    rows = []
    for fact in facts:
        rs, fs, ms = scores.get(fact.customer_id, (1, 1, 1))
        rows.append({
            "customer_id": fact.customer_id, "owner_id": fact.owner_id,
            "recency_days": (now - fact.last_at).days, "frequency": fact.in_year,
            "monetary_minor": fact.year_minor, "r": rs, "f": fs, "m": ms,
            "suggested_tier": suggested_tier(rs + fs + ms) if fact.in_year else None,
            "churn": churn_reason(fact, now, factor), "computed_at": now})
    return rows


async def store(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Last night's rows replaced, in one transaction. A plain executemany of the table:
    the ORM's bulk insert splits batches wherever a row's None values differ."""
    table = cast(Table, CustomerValue.__table__)
    await session.execute(delete(CustomerValue))
    for start in range(0, len(rows), WRITE_CHUNK):
        await session.execute(table.insert(), rows[start:start + WRITE_CHUNK])


async def last_computed(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.max(CustomerValue.computed_at)))


# ---- what the owner sees and answers ----------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    customer: Customer
    value: CustomerValue


async def tier_suggestions(session: AsyncSession, user_id: int, *, limit: int = 5
                           ) -> list[Suggestion]:
    rows = await session.execute(
        select(Customer, CustomerValue)
        .join(CustomerValue, CustomerValue.customer_id == Customer.id)
        .outerjoin(ValueDecision, ValueDecision.customer_id == Customer.id)
        .where(Customer.owner_id == user_id, Customer.archived.is_(False),
               CustomerValue.suggested_tier.is_not(None),
               CustomerValue.suggested_tier != Customer.tier,
               or_(ValueDecision.kept_tier_against.is_(None),
                   ValueDecision.kept_tier_against != CustomerValue.suggested_tier))
        .order_by((CustomerValue.r + CustomerValue.f + CustomerValue.m).desc()).limit(limit))
    return [Suggestion(customer, value) for customer, value in rows]


async def churn_warnings(session: AsyncSession, now: datetime, *, owner_id: int | None = None,
                         limit: int = 5) -> list[Suggestion]:
    """Customers slipping away: one owner's, or the whole team's (owner_id None)."""
    query = (select(Customer, CustomerValue)
             .join(CustomerValue, CustomerValue.customer_id == Customer.id)
             .outerjoin(ValueDecision, ValueDecision.customer_id == Customer.id)
             .where(Customer.archived.is_(False), CustomerValue.churn.is_not(None),
                    or_(ValueDecision.churn_quiet_until.is_(None),
                        ValueDecision.churn_quiet_until <= now))
             .order_by(CustomerValue.monetary_minor.desc()).limit(limit))
    if owner_id is not None:
        query = query.where(Customer.owner_id == owner_id)
    return [Suggestion(customer, value) for customer, value in await session.execute(query)]


async def count_churn_warnings(session: AsyncSession) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(CustomerValue)
        .join(Customer, Customer.id == CustomerValue.customer_id)
        .where(Customer.archived.is_(False), CustomerValue.churn.is_not(None))) or 0)


async def _decision(session: AsyncSession, customer_id: int) -> ValueDecision:
    decision = await session.get(ValueDecision, customer_id)
    if decision is None:
        decision = ValueDecision(customer_id=customer_id)
        session.add(decision)
    return decision


async def take_tier(session: AsyncSession, actor: Actor, customer_id: int, tier: str) -> Customer:
    """The owner's one tap on a suggestion: the tier changes, audited as theirs."""
    customer = await load_customer(session, customer_id, actor)
    value = await session.get(CustomerValue, customer.id)
    if value is None or value.suggested_tier != tier:
        raise Conflict(N_("That suggestion is out of date."))
    if customer.tier == tier:
        raise Conflict(N_("The customer is already {tier}."), tier=tier)
    before = audit.customer_snapshot(customer)
    customer.tier = tier
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="tier_suggestion", entity="customer",
                 entity_id=customer.id, before=before, after=audit.customer_snapshot(customer))
    return customer


async def keep_tier(session: AsyncSession, actor: Actor, customer_id: int) -> None:
    customer = await load_customer(session, customer_id, actor)
    value = await session.get(CustomerValue, customer.id)
    (await _decision(session, customer.id)).kept_tier_against = (
        value.suggested_tier if value else None)


async def quiet_churn(session: AsyncSession, actor: Actor, customer_id: int, until: datetime
                      ) -> None:
    customer = await load_customer(session, customer_id, actor)
    (await _decision(session, customer.id)).churn_quiet_until = until
    audit.record(session, actor_id=actor.user_id, action="churn_dismissed", entity="customer",
                 entity_id=customer.id, after={"until": until.isoformat()})

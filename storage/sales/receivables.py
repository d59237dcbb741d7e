"""What customers still owe (应收), by how late it is: the aging behind /receivables.

What is owed is each open installment's unpaid part, due on its day, and each purchase
without a plan's unpaid part, due on the day it was bought. It falls in one bucket by
days past due: not yet due, 0-30, 31-60, 61-90, over 90. Sums are per currency (never
converted), per owner for a manager, over the customers the member may see.

For whoever sees the whole team, the sums come from `receivable_days` (owed per owner,
currency and day), which database triggers keep with every installment, purchase and
change of owner (migration 0024): a few thousand rows at any size. Reading the rows
themselves took 2.6 s at 1,000,000 installments and 1,000,000 purchases on SQLite (1.5 s
on PostgreSQL); a member who sees only some customers still reads theirs row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, false, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Customer,
    Installment,
    Payment,
    PaymentKind,
    Purchase,
    ReceivableDay,
    User,
)
from storage.users import Actor, visible_to

BUCKETS = ("not due", "0-30", "31-60", "61-90", "90+")
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


@dataclass
class Aging:
    """Owed, in minor units: [currency][bucket], and [owner][currency][bucket]; and this
    month's collection: what fell due this month and how much of it is paid, per currency
    (the rate is paid ÷ due)."""

    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    by_owner: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    month_due: dict[str, int] = field(default_factory=dict)
    month_paid: dict[str, int] = field(default_factory=dict)

    def add(self, owner: str, currency: str, bucket: str, minor: int) -> None:
        for place in (self.totals, self.by_owner.setdefault(owner, {})):
            row = place.setdefault(currency, dict.fromkeys(BUCKETS, 0))
            row[bucket] += minor

    @property
    def empty(self) -> bool:
        return not self.totals and not self.month_due


def _bucket(due: Any, today: date) -> Any:
    """The bucket of a due day, computed by the database: not due, then by days late."""
    return case(
        (due > today, literal(BUCKETS[0])),
        (due >= today - timedelta(days=30), literal(BUCKETS[1])),
        (due >= today - timedelta(days=60), literal(BUCKETS[2])),
        (due >= today - timedelta(days=90), literal(BUCKETS[3])),
        else_=literal(BUCKETS[4]))


async def aging(session: AsyncSession, actor: Actor, today: date) -> Aging:
    found = Aging()
    seen = and_(visible_to(actor), Customer.merged_into_id.is_(None))
    owner = func.coalesce(User.display_name, "—")
    if actor.sees_whole_team:
        queries = [_team_owed(owner, today)]
    else:
        queries = _owed_of_visible(seen, owner, today)
    for query in queries:
        for name, currency, bucket, minor in await session.execute(query):
            if minor:
                found.add(str(name), currency, str(bucket), int(minor))
    first = today.replace(day=1)
    month_end = (first + timedelta(days=32)).replace(day=1)
    whose = None if actor.sees_whole_team else seen

    def visible(query: _Query, customer_id: Any) -> _Query:
        """The actor's customers only, unless they see the whole team: then no join at
        all (85,000 customer lookups were half of the month's 0.5 s at 1,000,000 rows;
        a merged record's purchases, which merging leaves behind, count here)."""
        if whose is None:
            return query
        return query.join(Customer, Customer.id == customer_id).where(whose)

    in_month_plan = and_(Installment.due_on >= first, Installment.due_on < month_end)
    # Bought this month (UTC days, as the buckets), read through the index of purchases
    # without a plan by time.
    in_month_bought = and_(Purchase.planned == false(),
                           Purchase.occurred_at >= _midnight(first),
                           Purchase.occurred_at < _midnight(month_end))
    due_this_month = [
        visible(select(Installment.currency, func.sum(Installment.amount_minor))
                .where(in_month_plan).group_by(Installment.currency), Installment.customer_id),
        visible(select(Purchase.currency, func.sum(Purchase.amount_minor))
                .where(in_month_bought).group_by(Purchase.currency), Purchase.customer_id)]
    for due_query in due_this_month:
        for currency, due in await session.execute(due_query):
            found.month_due[currency] = found.month_due.get(currency, 0) + int(due or 0)
    # Only money received is collected; goods sent back are no longer due, and a
    # write-off is neither (it stays due and uncollected).
    settled = [
        visible(select(Payment.kind, Payment.currency, func.sum(Payment.amount_minor))
                .join(Installment, Installment.id == Payment.installment_id)
                .where(in_month_plan).group_by(Payment.kind, Payment.currency),
                Installment.customer_id),
        # A purchase without a plan has no installment to pay: no "installment_id IS
        # NULL" here, which SQLite read through the installments' payment index (3.7 s).
        visible(select(Payment.kind, Payment.currency, func.sum(Payment.amount_minor))
                .join(Purchase, Purchase.id == Payment.purchase_id)
                .where(in_month_bought).group_by(Payment.kind, Payment.currency),
                Purchase.customer_id)]
    for settled_query in settled:
        for kind, currency, minor in await session.execute(settled_query):
            if kind == PaymentKind.PAYMENT:
                found.month_paid[currency] = found.month_paid.get(currency, 0) + int(minor or 0)
            elif kind == PaymentKind.RETURN:
                found.month_due[currency] = found.month_due.get(currency, 0) - int(minor or 0)
    return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _team_owed(owner: Any, today: date) -> Select[Any]:
    """The whole team's, from the triggers' per-day sums: a few thousand rows (at
    1,000,000 installments and 1,000,000 purchases, reading them took 2.6 s on SQLite)."""
    bucket = _bucket(ReceivableDay.due_on, today)
    return (select(owner, ReceivableDay.currency, bucket, func.sum(ReceivableDay.owed_minor))
            .outerjoin(User, User.id == ReceivableDay.owner_id)
            .where(ReceivableDay.owed_minor != 0)
            .group_by(owner, ReceivableDay.currency, bucket))


def _owed_of_visible(seen: Any, owner: Any, today: date) -> list[Select[Any]]:
    """A member who sees only some customers: their installments and their purchases
    without a plan, read row by row (a rep's own are few)."""
    installment_bucket = _bucket(Installment.due_on, today)
    purchase_bucket = _bucket(func.date(Purchase.occurred_at), today)
    return [
        select(owner, Installment.currency, installment_bucket,
               func.sum(Installment.amount_minor - Installment.paid_minor))
        .join(Customer, Customer.id == Installment.customer_id)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(seen, Installment.paid_minor < Installment.amount_minor)
        .group_by(owner, Installment.currency, installment_bucket),
        select(owner, Purchase.currency, purchase_bucket,
               func.sum(Purchase.amount_minor - Purchase.paid_minor))
        .join(Customer, Customer.id == Purchase.customer_id)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(seen, Purchase.paid_minor < Purchase.amount_minor, Purchase.planned.is_(False))
        .group_by(owner, Purchase.currency, purchase_bucket)]


async def team_collections(session: AsyncSession, since: datetime
                           ) -> tuple[dict[str, int], dict[str, int]]:
    """For the Monday summary: what came in since `since`, and what the team's customers
    still owe, each per currency."""
    collected = {currency: int(minor or 0) for currency, minor in await session.execute(
        select(Payment.currency, func.sum(Payment.amount_minor))
        .where(Payment.received_at >= since, Payment.kind == PaymentKind.PAYMENT)
        .group_by(Payment.currency))}
    owed = {currency: int(minor or 0) for currency, minor in await session.execute(
        select(Purchase.currency, func.sum(Purchase.amount_minor - Purchase.paid_minor))
        .join(Customer, Customer.id == Purchase.customer_id)
        .where(Customer.merged_into_id.is_(None), Purchase.paid_minor < Purchase.amount_minor)
        .group_by(Purchase.currency))}
    return collected, owed


async def collections_by_month(session: AsyncSession, actor: Actor, *, currency: str,
                               since: date) -> dict[str, tuple[int, int]]:
    """Per month ("YYYY-MM") from `since`: what fell due (installments on their day,
    purchases without a plan on the day they were bought, less what was sent back) and
    what was collected (money received), in `currency`, over what the actor may see."""
    sqlite = session.get_bind().dialect.name == "sqlite"

    def month(column: Any) -> Any:  # as purchases_by_month: text on SQLite, trunc on PG
        return func.substr(column, 1, 7) if sqlite else func.date_trunc("month", column)

    seen = and_(visible_to(actor), Customer.merged_into_id.is_(None))
    since_at = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    found: dict[str, list[int]] = {}

    def add(key: Any, index: int, minor: Any) -> None:
        name = key if isinstance(key, str) else f"{key:%Y-%m}"
        found.setdefault(name, [0, 0])[index] += int(minor or 0)

    # Each month expression built once and grouped by the same object: PostgreSQL takes
    # two date_trunc('month', …) with their own parameters for two expressions.
    planned_month = month(Installment.due_on)
    for key, minor in await session.execute(
            select(planned_month, func.sum(Installment.amount_minor))
            .join(Customer, Customer.id == Installment.customer_id)
            .where(seen, Installment.currency == currency, Installment.due_on >= since)
            .group_by(planned_month)):
        add(key, 0, minor)
    bought_month = month(Purchase.occurred_at)
    for key, minor in await session.execute(
            select(bought_month, func.sum(Purchase.amount_minor - Purchase.returned_minor))
            .join(Customer, Customer.id == Purchase.customer_id)
            .where(seen, Purchase.currency == currency, Purchase.occurred_at >= since_at,
                   Purchase.planned == false())
            .group_by(bought_month)):
        add(key, 0, minor)
    paid_month = month(Payment.received_at)
    for key, minor in await session.execute(
            select(paid_month, func.sum(Payment.amount_minor))
            .join(Customer, Customer.id == Payment.customer_id)
            .where(seen, Payment.currency == currency, Payment.kind == PaymentKind.PAYMENT,
                   Payment.received_at >= since_at)
            .group_by(paid_month)):
        add(key, 1, minor)
    return {key: (due, paid) for key, (due, paid) in found.items()}

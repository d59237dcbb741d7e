"""Taking the table out: the customers a member may see, filtered, as plain rows, and
their interactions. The chat and the CLI turn these into xlsx or csv (bot/tables/exporting.py).

Read with a handful of set-wise queries (customers, contacts, tags, open follow-ups,
owners, interactions), not per customer, so 100,000 records take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.models import (
    ContactPoint,
    Customer,
    Interaction,
    Purchase,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Tag,
    User,
    UTCDateTime,
    customer_tags,
)
from storage.search.names import fold
from storage.users import Actor, visible_to


@dataclass(frozen=True)
class ExportFilter:
    tag: str | None = None
    tier: str | None = None
    stage: str | None = None
    owner: str | None = None  # a member's name, @username or Telegram id
    region: str | None = None  # a region containing this text
    region_is: str | None = None  # exactly this region (the Mini App's list: indexed)
    quiet_days: int | None = None  # no contact logged for at least this many days
    created_from: datetime | None = None
    created_to: datetime | None = None
    bought: str | None = None  # a product bought ("*": anything)
    within_days: int | None = None  # ... within this many days

    def as_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items() if v is not None}


@dataclass
class CustomerRow:
    code: str
    name: str
    company: str | None
    title: str | None
    region: str | None
    address: str | None
    tier: str
    stage: str
    owner: str
    source: str | None
    notes: str | None
    created_at: datetime
    last_contact_at: datetime | None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    wechat: list[str] = field(default_factory=list)
    telegram: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    next_followup: datetime | None = None
    open_followups: int = 0


@dataclass
class InteractionRow:
    occurred_at: datetime
    code: str
    name: str
    kind: str
    summary: str
    outcome: str | None
    by: str


@dataclass
class Exported:
    customers: list[CustomerRow]
    interactions: list[InteractionRow]


def _conditions(actor: Actor, filters: ExportFilter, owners: dict[str, int]
                ) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [Customer.archived.is_(False),
                                        Customer.merged_into_id.is_(None), visible_to(actor)]
    if filters.tier:
        found.append(Customer.tier == filters.tier)
    if filters.stage:
        found.append(Customer.stage == filters.stage)
    if filters.region:
        found.append(func.lower(Customer.region).contains(filters.region.casefold()))
    if filters.region_is:
        found.append(Customer.region == filters.region_is)
    if filters.owner:
        found.append(Customer.owner_id == owners.get(fold(filters.owner.lstrip("@")), -1))
    if filters.tag:
        tagged = select(customer_tags.c.customer_id).join(Tag).where(
            Tag.name == filters.tag.lstrip("#").casefold())
        found.append(Customer.id.in_(tagged))
    if filters.quiet_days is not None:
        since = utcnow() - timedelta(days=filters.quiet_days)
        found.append(func.coalesce(Customer.last_contact_at, Customer.created_at) <= since)
    if filters.created_from is not None:
        found.append(Customer.created_at >= filters.created_from)
    if filters.created_to is not None:
        found.append(Customer.created_at < filters.created_to)
    if filters.bought or filters.within_days is not None:
        bought = select(Purchase.customer_id)
        if filters.bought and filters.bought != "*":
            bought = bought.where(func.lower(Purchase.product).contains(
                filters.bought.casefold(), autoescape=True))
        if filters.within_days is not None:
            bought = bought.where(
                Purchase.occurred_at >= utcnow() - timedelta(days=filters.within_days))
        found.append(Customer.id.in_(bought))
    return found


async def filter_condition(session: AsyncSession, actor: Actor, filters: ExportFilter
                           ) -> ColumnElement[bool]:
    """The customers the filters (a segment's, say) choose, as one SQL condition."""
    return and_(*_conditions(actor, filters, await owner_keys(session)))


async def matching_customers(session: AsyncSession, actor: Actor, filters: ExportFilter, *,
                             limit: int) -> tuple[list[tuple[int, str, str | None, str | None]],
                                                   int]:
    """The first `limit` customers a filter (or a saved segment) matches, and how many
    match: (id, name, company, region) by code."""
    chosen = await filter_condition(session, actor, filters)
    total = await session.scalar(select(func.count()).select_from(Customer).where(chosen))
    rows = await session.execute(
        select(Customer.id, Customer.name, Customer.company, Customer.region).where(chosen)
        .order_by(Customer.id).limit(limit))
    return [(r.id, r.name, r.company, r.region) for r in rows], int(total or 0)


async def owner_keys(session: AsyncSession) -> dict[str, int]:
    """Members by folded display name, username and Telegram id, for `owner:`."""
    owners: dict[str, int] = {}
    for user in await session.scalars(select(User)):
        for key in (user.display_name, user.username, str(user.telegram_id)):
            if key:
                owners.setdefault(fold(key), user.id)
    return owners


async def export_customers(session: AsyncSession, actor: Actor, filters: ExportFilter, *,
                           with_interactions: bool = True) -> Exported:
    """What the actor may see that matches the filters; the export is audited."""
    names = {user.id: user.display_name for user in await session.scalars(select(User))}
    owners = await owner_keys(session)
    # Core rows through the connection: the ORM-enabled execute cost a third of the read.
    # The details come by the same conditions as a subquery, not by lists of ids (5,000
    # bound parameters a query were a tenth of the export).
    connection = await session.connection()
    chosen = and_(*_conditions(actor, filters, owners))
    matching = select(Customer.id).where(chosen)
    rows = await connection.execute(
        select(Customer.id, Customer.name, Customer.company, Customer.title, Customer.region,
               Customer.address, Customer.tier, Customer.stage, Customer.owner_id,
               Customer.source, Customer.notes, Customer.created_at, Customer.last_contact_at)
        .where(chosen).order_by(Customer.id))
    customers: dict[int, CustomerRow] = {}
    for r in rows:
        customers[r.id] = CustomerRow(
            f"C-{r.id:06d}", r.name, r.company, r.title, r.region, r.address, r.tier, r.stage,
            names.get(r.owner_id or 0, ""), r.source, r.notes, r.created_at, r.last_contact_at)
    await _details(connection, customers, matching)
    logged: list[InteractionRow] = []
    if with_interactions:
        for entry in await connection.execute(
                select(Interaction.customer_id, Interaction.occurred_at, Interaction.kind,
                       Interaction.summary, Interaction.outcome, Interaction.user_id)
                .where(Interaction.customer_id.in_(matching))
                .order_by(Interaction.customer_id, Interaction.occurred_at)):
            row = customers.get(entry.customer_id)
            if row is not None:
                logged.append(InteractionRow(entry.occurred_at, row.code, row.name, entry.kind,
                                             entry.summary, entry.outcome,
                                             names.get(entry.user_id or 0, "")))
    audit.record(session, actor_id=actor.user_id, action="export_table", entity="team",
                 entity_id=actor.user_id,
                 after={"filters": filters.as_json(), "customers": len(customers)})
    return Exported(list(customers.values()), logged)


async def _details(connection: AsyncConnection, customers: dict[int, CustomerRow],
                   matching: Select[int]) -> None:
    """Contacts, tags and open follow-ups of the matching customers (one statement each;
    a record added meanwhile is passed over)."""
    for customer_id, kind, value in await connection.execute(
            select(ContactPoint.customer_id, ContactPoint.kind, ContactPoint.value)
            .where(ContactPoint.customer_id.in_(matching)).order_by(ContactPoint.id)):
        row = customers.get(customer_id)
        target = getattr(row, {"phone": "phones", "email": "emails"}.get(kind, kind), None)
        if isinstance(target, list):
            target.append(value)
    for customer_id, name in await connection.execute(
            select(customer_tags.c.customer_id, Tag.name).join(Tag)
            .where(customer_tags.c.customer_id.in_(matching)).order_by(Tag.name)):
        if customer_id in customers:
            customers[customer_id].tags.append(name)
    for reminder_customer, first, count in await connection.execute(
            select(Reminder.customer_id, type_coerce(func.min(Reminder.due_at), UTCDateTime()),
                   func.count())
            .where(Reminder.customer_id.in_(matching), Reminder.kind == ReminderKind.FOLLOWUP,
                   Reminder.status == ReminderStatus.OPEN)
            .group_by(Reminder.customer_id)):
        if reminder_customer in customers:
            row = customers[reminder_customer]
            row.next_followup, row.open_followups = first, int(count)

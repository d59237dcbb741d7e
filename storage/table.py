"""The customer table of the Mini App: one page of the customers a member may see, and
one customer's card (fields, timeline, follow-ups, deals), as plain values.

The rows are chosen by the export's filters (storage/exports.py: tier, stage, owner,
region, tag, gone quiet, ...) and, when a query is typed, by the chat's search
(storage/search/lookup.py), so the table, /export and a lookup never disagree about who
matches. Visibility is part of the filter condition: a rep under the `own` policy pages
through their own customers only, and a card they may not see is not found, as in chat.
Paging is by offset over an indexed order; the count runs over the same condition, up
to COUNTED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.customers import load_customer
from storage.filters import CustomerFilter, condition_for
from storage.interactions import recent
from storage.models import (
    OPEN_REQUEST_STATUSES,
    ContactPoint,
    Customer,
    Deal,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ServiceRequest,
    Tag,
    User,
    customer_tags,
    format_code,
)
from storage.sales.payments import outstanding
from storage.sales.segments import all_segments
from storage.search.lookup import search_customers
from storage.users import Actor, visible_to

PAGE_SIZE = 50
# A typed query lists what the chat's search finds, best first; it ranks this many.
SEARCHED = 100
# Matches are counted up to this many ("1,000+", 20 pages): counting to 10,000 took
# 20-45 ms of a page on SQLite when 1 in 10 matched (the count reads the whole table),
# and a manager narrows the filter long before page 20.
COUNTED = 1_000
SORTS: dict[str, tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]] = {
    "updated": (Customer.updated_at.desc(), Customer.id.desc()),
    "name": (Customer.name_pinyin, Customer.id),
    "last_contact": (Customer.last_contact_at.desc().nulls_last(), Customer.id.desc()),
    "code": (Customer.id,),
}


@dataclass
class TableRow:
    id: int
    code: str
    name: str
    company: str | None
    region: str | None
    tier: str
    stage: str
    owner: str | None
    last_contact_at: datetime | None
    phone: str | None = None


@dataclass
class TablePage:
    rows: list[TableRow]
    total: int
    page: int
    pages: int
    counted_all: bool  # False: more than COUNTED match, and `total` says COUNTED


@dataclass
class CustomerCard:
    id: int
    code: str
    name: str
    fields: dict[str, Any]
    phones: list[str]
    emails: list[str]
    tags: list[str]
    owner: str | None
    timeline: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    owed: dict[str, int] = field(default_factory=dict)  # minor units per currency
    requests: list[dict[str, Any]] = field(default_factory=list)  # open service requests


async def table_page(session: AsyncSession, actor: Actor, filters: CustomerFilter, *,
                     query: str = "", sort: str = "updated", page: int = 1,
                     size: int = PAGE_SIZE, extra: ColumnElement[bool] | None = None
                     ) -> TablePage:
    """Page `page` (from 1) of the customers the filters, the query and `extra` (a saved
    segment's condition) choose."""
    chosen = await condition_for(session, actor, filters)
    if extra is not None:
        chosen = chosen & extra
    ranked: list[int] | None = None
    if query.strip():
        hits = await search_customers(session, query, actor, limit=SEARCHED)
        ranked = [hit.customer_id for hit in hits]
        chosen = chosen & Customer.id.in_(ranked)
    total = int(await session.scalar(select(func.count()).select_from(
        select(Customer.id).where(chosen).limit(COUNTED + 1).subquery())) or 0)
    counted_all = total <= COUNTED
    total = min(total, COUNTED)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    stmt = (select(Customer.id, Customer.name, Customer.company, Customer.region,
                   Customer.tier, Customer.stage, Customer.last_contact_at,
                   User.display_name.label("owner"))
            .outerjoin(User, Customer.owner_id == User.id).where(chosen))
    if ranked is None:
        stmt = stmt.order_by(*SORTS.get(sort, SORTS["updated"]))
        found = list(await session.execute(stmt.offset((page - 1) * size).limit(size)))
    else:  # the search's own order: best match first
        by_id = {r.id: r for r in await session.execute(stmt)}
        found = [by_id[i] for i in ranked if i in by_id][(page - 1) * size:page * size]
    rows = [TableRow(r.id, format_code(r.id), r.name, r.company, r.region, r.tier, r.stage,
                     r.owner, r.last_contact_at) for r in found]
    phones = await _first_phones(session, [row.id for row in rows])
    for row in rows:
        row.phone = phones.get(row.id)
    return TablePage(rows, total, page, pages, counted_all)


@dataclass
class TableChoices:
    """What the table's filter menus offer: only values there are."""

    regions: list[tuple[str, int]]  # (region, customers), the most customers first
    tags: list[tuple[str, int]]
    owners: list[tuple[int, str]]  # (Telegram id, name); for managers only
    segments: list[tuple[int, str]]


async def table_choices(session: AsyncSession, actor: Actor, *, limit: int = 200
                        ) -> TableChoices:
    """The regions and tags of the customers the member may see (the region filter is
    exact, so it offers what is there), the members (managers filter by owner) and the
    team's saved segments."""
    present = (Customer.archived.is_(False), Customer.merged_into_id.is_(None),
               visible_to(actor))
    regions = await session.execute(
        select(Customer.region, func.count()).where(Customer.region.is_not(None), *present)
        .group_by(Customer.region).order_by(func.count().desc(), Customer.region).limit(limit))
    tags = await session.execute(
        select(Tag.name, func.count()).join(customer_tags, customer_tags.c.tag_id == Tag.id)
        .join(Customer, Customer.id == customer_tags.c.customer_id).where(*present)
        .group_by(Tag.name).order_by(func.count().desc(), Tag.name).limit(limit))
    owners: list[tuple[int, str]] = []
    if actor.is_manager:
        owners = [(int(telegram_id), name) for telegram_id, name in await session.execute(
            select(User.telegram_id, User.display_name).where(User.active.is_(True))
            .order_by(User.display_name))]
    return TableChoices(
        regions=[(str(region), int(count)) for region, count in regions],
        tags=[(name, int(count)) for name, count in tags],
        owners=owners,
        segments=[(segment.id, segment.name) for segment in await all_segments(session)])


async def _first_phones(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    first: dict[int, str] = {}
    for customer_id, value in await session.execute(
            select(ContactPoint.customer_id, ContactPoint.value)
            .where(ContactPoint.customer_id.in_(ids), ContactPoint.kind == "phone")
            .order_by(ContactPoint.id)):
        first.setdefault(customer_id, value)
    return first


async def customer_card(session: AsyncSession, actor: Actor, customer_id: int) -> CustomerCard:
    """The card's fields, its ten latest interactions and its open follow-ups; NotFound
    for a customer the member may not see (as in chat: nothing says it exists)."""
    customer = await load_customer(session, customer_id, actor)
    entries = await recent(session, customer, limit=10)
    open_followups = await session.scalars(
        select(Reminder).where(Reminder.customer_id == customer.id,
                               Reminder.kind == ReminderKind.FOLLOWUP,
                               Reminder.status == ReminderStatus.OPEN)
        .order_by(Reminder.due_at))
    its_deals = await session.scalars(
        select(Deal).where(Deal.customer_id == customer.id)
        .order_by(Deal.closed_at.is_not(None), Deal.id.desc()).limit(10))
    return CustomerCard(
        id=customer.id, code=customer.code, name=customer.name,
        fields={name: getattr(customer, name) for name in (
            "company", "title", "region", "address", "tier", "stage", "source", "preferences",
            "notes", "created_at", "last_contact_at")},
        phones=customer.contact_values("phone"), emails=customer.contact_values("email"),
        tags=[tag.name for tag in customer.tags],
        owner=customer.owner.display_name if customer.owner else None,
        timeline=[{"at": entry.occurred_at, "kind": entry.kind, "summary": entry.summary,
                   "outcome": entry.outcome} for entry in entries],
        followups=[{"due_at": reminder.due_at, "text": reminder.text}
                   for reminder in open_followups],
        deals=[{"id": deal.id, "title": deal.title, "stage": deal.stage,
                "value_minor": deal.value_minor, "currency": deal.currency,
                "close_on": deal.close_on} for deal in its_deals],
        owed=await outstanding(session, customer),
        requests=[{"id": r.id, "kind": r.kind, "priority": r.priority, "status": r.status,
                   "problem": r.problem, "due_at": r.due_at}
                  for r in await session.scalars(
                      select(ServiceRequest).where(
                          ServiceRequest.customer_id == customer.id,
                          ServiceRequest.status.in_(OPEN_REQUEST_STATUSES))
                      .order_by(ServiceRequest.id))],
    )

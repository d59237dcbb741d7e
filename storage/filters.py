"""The customers a filter chooses, as one SQL condition over what the member may see:
tag, tier, stage, owner, region, days gone quiet, created between, bought (within).

One place for /find, /export, /stats, saved segments and the Mini App's table; the words
that make a filter (`tag:vip quiet:30`) are read in bot/understanding/filters.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import utcnow
from storage.models import (
    OPEN_REQUEST_STATUSES,
    Customer,
    Purchase,
    ServiceRequest,
    Tag,
    User,
    customer_tags,
)
from storage.search.names import fold
from storage.users import Actor, visible_to


@dataclass(frozen=True)
class CustomerFilter:
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
    open_requests: bool = False  # with a service request not yet resolved

    def as_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items() if v is not None and v is not False}


def conditions(actor: Actor, filters: CustomerFilter, owners: dict[str, int]
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
    if filters.open_requests:
        found.append(Customer.id.in_(
            select(ServiceRequest.customer_id)
            .where(ServiceRequest.status.in_(OPEN_REQUEST_STATUSES))))
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


async def condition_for(session: AsyncSession, actor: Actor, filters: CustomerFilter
                           ) -> ColumnElement[bool]:
    """The customers the filters (a segment's, say) choose, as one SQL condition."""
    return and_(*conditions(actor, filters, await owner_keys(session)))


async def matching_customers(session: AsyncSession, actor: Actor, filters: CustomerFilter, *,
                             limit: int) -> tuple[list[tuple[int, str, str | None, str | None]],
                                                   int]:
    """The first `limit` customers a filter (or a saved segment) matches, and how many
    match: (id, name, company, region) by code."""
    chosen = await condition_for(session, actor, filters)
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

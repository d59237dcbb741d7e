"""Data quality: which records lack a phone, an email, a company or a region, per owner,
and the next record to fix, one at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ContactPoint, Customer, User
from storage.users import Actor, visible_to

GAPS = ("phone", "email", "company", "region")


def missing(field: str) -> ColumnElement[bool]:
    """SQL: the customer has nothing in `field`."""
    if field in ("phone", "email"):
        return ~exists().where(ContactPoint.customer_id == Customer.id,
                               ContactPoint.kind == field)
    column = Customer.company if field == "company" else Customer.region
    return or_(column.is_(None), column == "")


def _live(actor: Actor) -> ColumnElement[bool]:
    return and_(Customer.archived.is_(False), Customer.merged_into_id.is_(None),
                visible_to(actor))


@dataclass(frozen=True)
class OwnerQuality:
    owner: str
    records: int
    gaps: dict[str, int]

    @property
    def complete(self) -> int:
        """Percent of the four fields filled, over all records."""
        if not self.records:
            return 100
        return round(100 * (1 - sum(self.gaps.values()) / (self.records * len(GAPS))))


async def completeness(session: AsyncSession, actor: Actor) -> list[OwnerQuality]:
    """Per owner of the records the actor sees: how many lack each field."""
    counts = [func.sum(case((missing(field), 1), else_=0)) for field in GAPS]
    rows = await session.execute(
        select(User.display_name, func.count(Customer.id), *counts)
        .select_from(Customer).outerjoin(User, User.id == Customer.owner_id)
        .where(_live(actor)).group_by(User.id, User.display_name)
        .order_by(User.display_name))
    return [OwnerQuality(name or "—", int(total),
                         {field: int(n or 0) for field, n in zip(GAPS, gaps, strict=True)})
            for name, total, *gaps in rows]


def _to_fix(actor: Actor, field: str) -> ColumnElement[bool]:
    """The records the actor fixes: their own (a manager: any they see) lacking `field`."""
    mine = _live(actor) if actor.is_manager else and_(_live(actor),
                                                      Customer.owner_id == actor.user_id)
    return and_(mine, missing(field))


async def next_gap(session: AsyncSession, actor: Actor, field: str, after_id: int
                   ) -> Customer | None:
    return await session.scalar(
        select(Customer).where(_to_fix(actor, field), Customer.id > after_id)
        .order_by(Customer.id).limit(1))


async def gaps_left(session: AsyncSession, actor: Actor, field: str) -> int:
    return int(await session.scalar(
        select(func.count(Customer.id)).where(_to_fix(actor, field))) or 0)

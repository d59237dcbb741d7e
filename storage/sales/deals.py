"""Deals and the pipeline: a sale in the making, moved stage by stage until won or lost.

A move names the stage it expects the deal to be at; when someone else moved it first,
or the same button is pressed twice, the move is refused with who moved it and nothing
changes twice. Winning a deal records its purchase (and with it the customer's stage,
storage.sales.purchases). Reps see the deals they own; managers, and /pipeline's team view,
the deals of every customer they may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, Conflict, NotFound, ValidationFailed
from storage.models import OPEN_DEAL_STAGES, Customer, Deal, DealStage, User
from storage.sales.purchases import PurchaseDraft, check_amount, record_purchase
from storage.users import Actor, can_see, visible_to
from storage.validation import clean_text


@dataclass(frozen=True)
class DealDraft:
    customer_id: int
    title: str
    value_minor: int | None
    currency: str
    close_on: date | None = None


@dataclass(frozen=True)
class StageSum:
    stage: str
    count: int
    totals: dict[str, int] = field(default_factory=dict)  # per currency, minor units


def _snapshot(deal: Deal) -> dict[str, object]:
    return {"deal": deal.id, "title": deal.title, "stage": deal.stage,
            "value_minor": deal.value_minor, "currency": deal.currency,
            "close_on": deal.close_on.isoformat() if deal.close_on else None}


async def create_deal(session: AsyncSession, actor: Actor, draft: DealDraft, *,
                      ceiling_minor: int, confirmed: bool = False) -> Deal:
    customer = await load_customer(session, draft.customer_id, actor)
    title = clean_text("deal", draft.title, required=True) or ""
    if draft.value_minor is not None:
        check_amount(draft.value_minor, ceiling_minor, confirmed=confirmed)
    now = utcnow()
    deal = Deal(customer_id=customer.id, owner_id=customer.owner_id or actor.user_id,
                title=title, value_minor=draft.value_minor, currency=draft.currency,
                stage=DealStage.LEAD.value, close_on=draft.close_on, created_at=now,
                stage_changed_at=now)
    session.add(deal)
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="deal_create", entity="customer",
                 entity_id=customer.id, after=_snapshot(deal))
    return deal


async def load_deal(session: AsyncSession, actor: Actor, deal_id: int) -> Deal:
    deal = await session.get(Deal, deal_id)
    if deal is None or not can_see(actor, deal.customer):
        raise NotFound(N_("No deal #{number} that you can see."), number=deal_id)
    return deal


async def move_deal(session: AsyncSession, actor: Actor, deal_id: int, *, expected: str,
                    to: str, loyal_within: timedelta, ceiling_minor: int) -> Deal:
    """One stage move, refused when the deal is no longer where the member saw it."""
    # Locked and read afresh: the member's card may be minutes old. Only the deal row is
    # locked (PostgreSQL refuses FOR UPDATE on the outer-joined owner).
    deal = await session.scalar(select(Deal).where(Deal.id == deal_id)
                                .with_for_update(of=Deal)
                                .execution_options(populate_existing=True))
    if deal is None or not can_see(actor, deal.customer):
        raise NotFound(N_("No deal #{number} that you can see."), number=deal_id)
    target = DealStage(to)
    if deal.stage != expected:
        raise Conflict(N_("Someone moved this deal first: it is at “{stage}” now. "
                          "Nothing was changed."), stage=deal.stage)
    if deal.stage == target:
        raise Conflict(N_("The deal is already at “{stage}”."), stage=deal.stage)
    if not deal.is_open:
        raise Conflict(N_("This deal is closed ({stage}); open a new one instead."),
                       stage=deal.stage)
    before = _snapshot(deal)
    now = utcnow()
    if target is DealStage.WON:
        if not deal.value_minor:
            raise ValidationFailed("amount", N_("Give the deal a value before marking it won."))
        recorded = await record_purchase(session, actor, PurchaseDraft(
            customer_id=deal.customer_id, amount_minor=deal.value_minor,
            currency=deal.currency, product=deal.title, summary=deal.title),
            loyal_within=loyal_within, ceiling_minor=ceiling_minor, confirmed=True)
        deal.purchase_id = recorded.purchase.id
    deal.stage, deal.stage_changed_at = target.value, now
    deal.closed_at = now if target in (DealStage.WON, DealStage.LOST) else None
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="deal_move", entity="customer",
                 entity_id=deal.customer_id, before=before, after=_snapshot(deal))
    return deal


def _whose(actor: Actor, team: bool) -> ColumnElement[bool]:
    """Managers asking for the team: every deal of a customer they may see; otherwise the
    member's own deals."""
    if team and actor.is_manager:
        return visible_to(actor)
    return and_(Deal.owner_id == actor.user_id, visible_to(actor))


async def pipeline(session: AsyncSession, actor: Actor, *, team: bool,
                   extra: ColumnElement[bool] | None = None) -> list[StageSum]:
    """Every open stage in order, and won and lost, each with count and sums (of the
    customers in `extra` only, when a segment is given)."""
    rows = await session.execute(
        select(Deal.stage, Deal.currency, func.count(),
               func.coalesce(func.sum(Deal.value_minor), 0))
        .join(Customer, Customer.id == Deal.customer_id)
        .where(_whose(actor, team), Customer.archived.is_(False),
               *([extra] if extra is not None else []))
        .group_by(Deal.stage, Deal.currency))
    counts: dict[str, int] = {}
    totals: dict[str, dict[str, int]] = {}
    for stage, currency, count, total in rows:
        counts[stage] = counts.get(stage, 0) + int(count)
        if total:
            totals.setdefault(stage, {})[currency] = int(total)
    return [StageSum(stage.value, counts.get(stage.value, 0), totals.get(stage.value, {}))
            for stage in DealStage]


async def deals_in(session: AsyncSession, actor: Actor, stage: str, *, team: bool,
                   limit: int = 20) -> list[Deal]:
    return list(await session.scalars(
        select(Deal).join(Customer, Customer.id == Deal.customer_id)
        .where(Deal.stage == DealStage(stage).value, _whose(actor, team),
               Customer.archived.is_(False))
        .order_by(Deal.close_on.is_(None), Deal.close_on, Deal.id).limit(limit)))


async def deals_of_customer(session: AsyncSession, actor: Actor, customer_id: int
                            ) -> list[Deal]:
    customer = await load_customer(session, customer_id, actor)
    return list(await session.scalars(
        select(Deal).where(Deal.customer_id == customer.id)
        .order_by(Deal.closed_at.is_not(None), Deal.id.desc()).limit(10)))


async def stalled_deals(session: AsyncSession, user: User, today: date) -> list[Deal]:
    """The member's open deals past their close date and not moved since it passed."""
    deals = await session.scalars(
        select(Deal).join(Customer, Customer.id == Deal.customer_id)
        .where(Deal.owner_id == user.id, Deal.stage.in_([s.value for s in OPEN_DEAL_STAGES]),
               Deal.close_on < today, Customer.archived.is_(False))
        .order_by(Deal.close_on).limit(20))
    return [d for d in deals if d.close_on is not None
            and d.stage_changed_at.date() <= d.close_on]


def stage_after(stage: str) -> str | None:
    """The next open stage, or won after negotiation; None for a closed deal."""
    order = [s.value for s in OPEN_DEAL_STAGES] + [DealStage.WON.value]
    return order[order.index(stage) + 1] if stage in order[:-1] else None


def is_late(deal: Deal, today: date) -> bool:
    return deal.is_open and deal.close_on is not None and deal.close_on < today


"""What customers buy: purchases on the timeline, the lifecycle stage they move, their value.

A purchase is saved with a timeline entry (kind `purchase`, the member's own sentence as
its summary) and counts as a contact. It moves the stage where the data says so: a first
purchase makes a lead, prospect or churned customer a customer; a purchase within the
team's `loyal_within` of the previous one makes a customer loyal. Stages are never moved
down here, and a stage set by hand to loyal stays. Amounts are whole minor units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, ValidationFailed
from storage.interactions import FUTURE_SLACK, log_interaction
from storage.models import Customer, InteractionKind, Purchase, Stage
from storage.users import Actor
from storage.validation import clean_text

MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class PurchaseDraft:
    customer_id: int
    amount_minor: int
    currency: str
    product: str | None = None
    quantity: int | None = None
    occurred_at: datetime | None = None
    summary: str = ""


@dataclass(frozen=True)
class Value:
    """A customer's purchases so far: totals per currency, how many, the last one."""

    totals: dict[str, int] = field(default_factory=dict)
    count: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    purchase: Purchase
    stage_before: str
    stage_after: str
    value: Value


def check_amount(amount_minor: int, ceiling_minor: int, *, confirmed: bool) -> None:
    """Zero or less is refused; above the team's ceiling it needs saying yes once more."""
    if amount_minor <= 0:
        raise ValidationFailed("amount", N_("An amount must be more than zero."))
    if amount_minor > ceiling_minor and not confirmed:
        raise ValidationFailed("amount", N_("That amount is above the team's ceiling; "
                                            "confirm it or change it."))


async def record_purchase(session: AsyncSession, actor: Actor, draft: PurchaseDraft, *,
                          loyal_within: timedelta, ceiling_minor: int,
                          confirmed: bool = False) -> Recorded:
    customer = await load_customer(session, draft.customer_id, actor)
    check_amount(draft.amount_minor, ceiling_minor, confirmed=confirmed)
    if draft.quantity is not None and not 0 < draft.quantity <= MAX_QUANTITY:
        raise ValidationFailed("quantity", N_("A quantity is a whole number from 1 to "
                                              "{limit}."), limit=MAX_QUANTITY)
    now = utcnow()
    when = draft.occurred_at or now
    if when > now + FUTURE_SLACK:
        raise ValidationFailed("occurred", N_("A purchase cannot be logged in the future."))
    previous = await session.scalar(
        select(func.max(Purchase.occurred_at)).where(Purchase.customer_id == customer.id,
                                                     Purchase.occurred_at <= when))
    entry = await log_interaction(session, actor, customer.id, kind=InteractionKind.PURCHASE,
                                  summary=draft.summary or _summary(draft), occurred_at=when)
    purchase = Purchase(customer_id=customer.id, user_id=actor.user_id,
                        product=clean_text("product", draft.product),
                        quantity=draft.quantity, amount_minor=draft.amount_minor,
                        currency=draft.currency, occurred_at=when, interaction_id=entry.id,
                        created_at=now)
    session.add(purchase)
    await session.flush()
    before = customer.stage
    customer.stage = next_stage(customer.stage, previous, when, loyal_within)
    if customer.stage != before:
        customer.updated_at = now
    audit.record(session, actor_id=actor.user_id, action="purchase", entity="customer",
                 entity_id=customer.id, before={"stage": before},
                 after={"purchase": purchase.id, "amount_minor": purchase.amount_minor,
                        "currency": purchase.currency, "product": purchase.product,
                        "quantity": purchase.quantity, "stage": customer.stage})
    return Recorded(purchase, before, customer.stage, await value_of(session, customer))


def _summary(draft: PurchaseDraft) -> str:
    """X1 × 20 · 48000.00 CNY: the timeline's words for a purchase nobody described."""
    bought = " × ".join(filter(None, (draft.product, str(draft.quantity or "") or None)))
    amount = f"{Decimal(draft.amount_minor) / 100:.2f} {draft.currency}"
    return f"{bought} · {amount}" if bought else amount


def next_stage(stage: str, previous: datetime | None, when: datetime,
               loyal_within: timedelta) -> str:
    if stage in (Stage.LEAD, Stage.PROSPECT, Stage.CHURNED):
        return Stage.CUSTOMER.value
    if stage == Stage.CUSTOMER and previous is not None and when - previous <= loyal_within:
        return Stage.LOYAL.value
    return stage


async def value_of(session: AsyncSession, customer: Customer) -> Value:
    rows = (await session.execute(
        select(Purchase.currency, func.sum(Purchase.amount_minor - Purchase.returned_minor),
               func.count(), func.max(Purchase.occurred_at))
        .where(Purchase.customer_id == customer.id).group_by(Purchase.currency)
        .order_by(func.sum(Purchase.amount_minor).desc()))).all()
    if not rows:
        return Value()
    last = max(row[3] for row in rows)
    return Value({currency: int(total) for currency, total, _, _ in rows},
                 sum(int(row[2]) for row in rows), last)

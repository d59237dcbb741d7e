"""Money collected (回款): payment plans, payments applied to what a customer owes, goods
sent back, and what a manager writes off.

A purchase may carry a plan of installments (storage/sales/plans.py). Each purchase and
installment carries what has been paid of it (`paid_minor`), kept with every payment;
what it still owes is its amount less that.

A payment pays, in the payment's currency, the customer's installments in the order they
are due, then its purchases without a plan in the order they were bought: one `Payment`
row per purchase or installment it pays, all under one timeline entry. More than is
owed is asked about first, and the rest is kept as credit (a row with no purchase). A
payment in a currency the customer owes nothing in is refused: amounts are never
converted. Purchases logged before payments were tracked count as paid (migration 0020),
so a team's history does not turn into debts overnight.

A return (goods sent back) and a write-off go down the same path (`_write`) as rows of
their own kind: a return settles the purchase's latest installments first (the customer
pays less at the end) and what was already paid beyond the new worth is a refund due;
a write-off (managers only) settles what is left. Both count as settled, neither as
collected: the month's collection rate and the week's money in count payments only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, ValidationFailed
from storage.interactions import FUTURE_SLACK, log_interaction
from storage.models import (
    Customer,
    Installment,
    InteractionKind,
    Payment,
    PaymentKind,
    Purchase,
    Reminder,
    ReminderStatus,
)
from storage.users import Actor, ensure_manager


class PaidStatus(StrEnum):
    UNPAID = "unpaid"
    PARTLY = "partly"
    PAID = "paid"
    OVERDUE = "overdue"  # part of it was due before today (storage/sales/plans.py)


def outstanding_of(purchase: Purchase) -> int:
    return max(purchase.amount_minor - purchase.paid_minor, 0)


def status_of(purchase: Purchase) -> PaidStatus:
    if purchase.paid_minor >= purchase.amount_minor:
        return PaidStatus.PAID
    return PaidStatus.PARTLY if purchase.paid_minor > 0 else PaidStatus.UNPAID


@dataclass(frozen=True)
class Allocation:
    """What one payment does to one purchase (None: kept as credit), and to which of its
    installments if it has a plan."""

    purchase: Purchase | None
    amount_minor: int
    outstanding_before: int
    outstanding_after: int
    installment: Installment | None = None
    refund: bool = False  # a return's part beyond what was owed: money due back


async def _close_reminder_if_paid(session: AsyncSession, installment: Installment,
                                  now: datetime) -> None:
    """A paid installment's reminder has nothing left to say."""
    if installment.paid_minor < installment.amount_minor or installment.reminder_id is None:
        return
    reminder = await session.get(Reminder, installment.reminder_id)
    if reminder is not None and reminder.status == ReminderStatus.OPEN:
        reminder.status, reminder.done_at, reminder.send_after = ReminderStatus.DONE, now, None


async def installment_reminded(session: AsyncSession, reminder_id: int
                               ) -> tuple[Installment, Purchase] | None:
    """The installment a reminder is about, and its purchase."""
    row = (await session.execute(
        select(Installment, Purchase).join(Purchase, Purchase.id == Installment.purchase_id)
        .where(Installment.reminder_id == reminder_id))).first()
    return (row[0], row[1]) if row else None


async def record_installment_paid(session: AsyncSession, actor: Actor, installment_id: int
                                  ) -> tuple[Installment, int]:
    """What an installment still owed, received in full (its reminder's one tap): the
    payment goes to that installment, whatever is due before it. Returns the installment
    and the amount recorded (0: it was already paid, nothing is written)."""
    installment = await session.get(Installment, installment_id)
    if installment is None:
        raise ValidationFailed("installment", N_("That installment no longer exists."))
    customer = await load_customer(session, installment.customer_id, actor)
    purchase = await session.get(Purchase, installment.purchase_id)
    assert purchase is not None
    left = installment.amount_minor - installment.paid_minor
    if left <= 0:
        return installment, 0
    before = outstanding_of(purchase)
    plan = Plan([Allocation(purchase, left, before, before - left, installment)], before)
    await _write(session, actor, customer, plan, installment.currency, "", utcnow(),
                 installment=installment.id)
    return installment, left


@dataclass(frozen=True)
class Plan:
    """How a payment would be applied; shown on the card before it is saved."""

    allocations: list[Allocation]
    owed_minor: int  # outstanding in the payment's currency before it
    owing: int = 0  # purchases with something outstanding in it (one may be chosen first)

    @property
    def credit_minor(self) -> int:
        return sum(a.amount_minor for a in self.allocations
                   if a.purchase is None or a.refund)


async def _open_installments(session: AsyncSession, purchase_ids: list[int]
                             ) -> dict[int, list[Installment]]:
    found: dict[int, list[Installment]] = {}
    if not purchase_ids:
        return found
    for installment in await session.scalars(
            select(Installment).where(Installment.purchase_id.in_(purchase_ids),
                                      Installment.paid_minor < Installment.amount_minor)
            .order_by(Installment.due_on, Installment.id)):
        found.setdefault(installment.purchase_id, []).append(installment)
    return found


async def owing_purchases(session: AsyncSession, customer: Customer) -> list[Purchase]:
    """The customer's purchases with something outstanding, in any currency, oldest first."""
    return list(await session.scalars(
        select(Purchase).where(Purchase.customer_id == customer.id,
                               Purchase.paid_minor < Purchase.amount_minor)
        .order_by(Purchase.occurred_at, Purchase.id)))


async def open_purchases(session: AsyncSession, customer: Customer, currency: str
                         ) -> list[Purchase]:
    """The customer's purchases in `currency` with something outstanding, oldest first."""
    return list(await session.scalars(
        select(Purchase).where(Purchase.customer_id == customer.id,
                               Purchase.currency == currency,
                               Purchase.paid_minor < Purchase.amount_minor)
        .order_by(Purchase.occurred_at, Purchase.id)))


async def plan_payment(session: AsyncSession, customer: Customer, amount_minor: int,
                       currency: str, *, first: int | None = None) -> Plan:
    """Which purchases a payment of `amount_minor` pays, oldest first (the purchase
    `first` before any other, when the member chose it on the card). Raises when the
    customer owes nothing in `currency`."""
    if amount_minor <= 0:
        raise ValidationFailed("amount", N_("An amount must be more than zero."))
    owing = await open_purchases(session, customer, currency)
    if not owing:
        raise ValidationFailed("amount", N_(
            "{name} has nothing outstanding in {currency}: nothing to apply this payment "
            "to."), name=customer.name, currency=currency)
    plans = await _open_installments(session, [p.id for p in owing])
    left, allocations = amount_minor, []
    # Installments in the order they are due, then what has no plan, oldest first.
    queue: list[tuple[date, int, Purchase, Installment | None]] = []
    for purchase in owing:
        if plans.get(purchase.id):
            queue += [(i.due_on, purchase.id, purchase, i) for i in plans[purchase.id]]
        else:
            queue.append((purchase.occurred_at.date(), purchase.id, purchase, None))
    owed_after = {p.id: outstanding_of(p) for p in owing}
    for _, _, purchase, installment in sorted(queue, key=lambda q: (q[1] != first, q[0], q[1])):
        if left <= 0:
            break
        due = (installment.amount_minor - installment.paid_minor if installment
               else outstanding_of(purchase))
        paid = min(due, left, owed_after[purchase.id])
        if paid <= 0:
            continue
        before = owed_after[purchase.id]
        owed_after[purchase.id] -= paid
        allocations.append(Allocation(purchase, paid, before, before - paid, installment))
        left -= paid
    if left > 0:
        allocations.append(Allocation(None, left, 0, 0))
    return Plan(allocations, sum(outstanding_of(p) for p in owing), len(owing))


@dataclass(frozen=True)
class Received:
    plan: Plan
    payments: list[Payment]


async def record_payment(session: AsyncSession, actor: Actor, customer_id: int,
                         amount_minor: int, currency: str, *, summary: str,
                         received_at: datetime | None = None,
                         more_than_owed: bool = False, first: int | None = None) -> Received:
    """Applies a payment as `plan_payment` says, on the timeline; more than is owed only
    with `more_than_owed` (the member said yes to keeping the rest as credit)."""
    customer = await load_customer(session, customer_id, actor)
    plan = await plan_payment(session, customer, amount_minor, currency, first=first)
    if plan.credit_minor and not more_than_owed:
        raise ValidationFailed("amount", N_(
            "That is more than {name} owes; confirm to keep the rest as credit, or change "
            "the amount."), name=customer.name)
    now = utcnow()
    when = received_at or now
    if when > now + FUTURE_SLACK:
        raise ValidationFailed("received", N_("A payment cannot be logged in the future."))
    payments = await _write(session, actor, customer, plan, currency, summary, when)
    return Received(plan, payments)


_ENTRY_KINDS = {PaymentKind.PAYMENT: InteractionKind.PAYMENT,
                PaymentKind.RETURN: InteractionKind.RETURN,
                PaymentKind.WRITE_OFF: InteractionKind.NOTE}  # nobody was in touch


async def _write(session: AsyncSession, actor: Actor, customer: Customer, plan: Plan,
                 currency: str, summary: str, when: datetime, *,
                 kind: PaymentKind = PaymentKind.PAYMENT, quantity: int | None = None,
                 **audited: Any) -> list[Payment]:
    """A payment (or a return, or a write-off) as `plan` applies it: one timeline entry,
    a row per part, what each purchase and installment has been settled kept with it, a
    settled installment's reminder closed, the act audited."""
    now = utcnow()
    amount_minor = sum(a.amount_minor for a in plan.allocations)
    entry = await log_interaction(session, actor, customer.id, kind=_ENTRY_KINDS[kind],
                                  summary=summary or _summary(amount_minor, currency),
                                  occurred_at=when)
    payments = []
    for allocation in plan.allocations:
        payment = Payment(customer_id=customer.id, user_id=actor.user_id,
                          purchase_id=allocation.purchase.id if allocation.purchase else None,
                          installment_id=(allocation.installment.id if allocation.installment
                                          else None),
                          amount_minor=allocation.amount_minor, currency=currency,
                          received_at=when, interaction_id=entry.id, created_at=now,
                          kind=kind, quantity=quantity if kind is PaymentKind.RETURN else None)
        if allocation.purchase is not None and not allocation.refund:
            allocation.purchase.paid_minor += allocation.amount_minor
        if allocation.installment is not None:
            allocation.installment.paid_minor += allocation.amount_minor
            await _close_reminder_if_paid(session, allocation.installment, now)
        session.add(payment)
        payments.append(payment)
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action=kind.value, entity="customer",
                 entity_id=customer.id, after={
                     "amount_minor": amount_minor, "currency": currency,
                     "applied": [[a.purchase.id if a.purchase else None, a.amount_minor]
                                 for a in plan.allocations], **audited})
    return payments


async def returnable(session: AsyncSession, customer: Customer, product: str | None
                     ) -> Purchase | None:
    """The purchase a return is about: the latest of that product with something not yet
    sent back, else the latest with something not yet sent back."""
    query = (select(Purchase).where(Purchase.customer_id == customer.id,
                                    Purchase.returned_minor < Purchase.amount_minor)
             .order_by(Purchase.occurred_at.desc(), Purchase.id.desc()).limit(1))
    if product:
        found = await session.scalar(query.where(func.lower(Purchase.product) == product.lower()))
        if found is not None:
            return found
    return await session.scalar(query)


async def returned_quantity(session: AsyncSession, purchase: Purchase) -> int:
    return int(await session.scalar(
        select(func.coalesce(func.sum(Payment.quantity), 0))
        .where(Payment.purchase_id == purchase.id, Payment.kind == PaymentKind.RETURN)) or 0)


def pro_rata(purchase: Purchase, quantity: int) -> int | None:
    """What `quantity` units of the purchase were bought for, when its quantity is known."""
    if not purchase.quantity:
        return None
    return purchase.amount_minor * quantity // purchase.quantity


async def plan_return(session: AsyncSession, purchase: Purchase, amount_minor: int,
                      quantity: int | None) -> Plan:
    """What a return of `amount_minor` settles: the purchase's open installments, the
    latest due first (the customer pays less at the end), then what it owes without a
    plan; the rest (it was paid already) is a refund due, kept as the customer's credit."""
    if amount_minor <= 0:
        raise ValidationFailed("amount", N_("An amount must be more than zero."))
    if quantity is not None and purchase.quantity is not None and quantity > (
            purchase.quantity - await returned_quantity(session, purchase)):
        raise ValidationFailed("quantity", N_(
            "That is more units than are left of purchase #{number}."), number=purchase.id)
    if amount_minor > purchase.amount_minor - purchase.returned_minor:
        raise ValidationFailed("amount", N_(
            "That is more than is left of purchase #{number}."), number=purchase.id)
    before = left_to_settle = outstanding_of(purchase)
    allocations: list[Allocation] = []
    plans = await _open_installments(session, [purchase.id])
    for installment in reversed(plans.get(purchase.id, [])):
        part = min(installment.amount_minor - installment.paid_minor, amount_minor
                   - sum(a.amount_minor for a in allocations), left_to_settle)
        if part > 0:
            allocations.append(Allocation(purchase, part, left_to_settle,
                                          left_to_settle - part, installment))
            left_to_settle -= part
    if not plans.get(purchase.id) and left_to_settle > 0:
        part = min(amount_minor, left_to_settle)
        allocations.append(Allocation(purchase, part, left_to_settle, left_to_settle - part))
    refund = amount_minor - sum(a.amount_minor for a in allocations)
    if refund > 0:
        allocations.append(Allocation(purchase, refund, 0, 0, refund=True))
    return Plan(allocations, before)


async def record_return(session: AsyncSession, actor: Actor, purchase_id: int,
                        amount_minor: int, *, quantity: int | None, summary: str) -> Plan:
    """Goods sent back: on the timeline, what the purchase is worth and owes is less, and
    what was paid beyond that is a refund due (the customer's credit)."""
    purchase = await session.get(Purchase, purchase_id)
    if purchase is None:
        raise ValidationFailed("purchase", N_("That purchase no longer exists."))
    customer = await load_customer(session, purchase.customer_id, actor)
    plan = await plan_return(session, purchase, amount_minor, quantity)
    await _write(session, actor, customer, plan, purchase.currency, summary, utcnow(),
                 kind=PaymentKind.RETURN, quantity=quantity, purchase=purchase.id)
    purchase.returned_minor += amount_minor
    return plan


async def write_off(session: AsyncSession, actor: Actor, purchase_id: int, summary: str
                    ) -> int:
    """A manager gives up what a purchase still owes: settled, not collected (the month's
    collection rate does not count it), audited. Returns the amount written off."""
    ensure_manager(actor)
    purchase = await session.get(Purchase, purchase_id)
    if purchase is None:
        raise ValidationFailed("purchase", N_("That purchase no longer exists."))
    customer = await load_customer(session, purchase.customer_id, actor)
    left = outstanding_of(purchase)
    if left <= 0:
        raise ValidationFailed("amount", N_("Purchase #{number} owes nothing."),
                               number=purchase.id)
    plans = (await _open_installments(session, [purchase.id])).get(purchase.id, [])
    allocations, owed = [], left
    for installment in plans:
        part = installment.amount_minor - installment.paid_minor
        allocations.append(Allocation(purchase, part, owed, owed - part, installment))
        owed -= part
    if not plans:
        allocations.append(Allocation(purchase, left, left, 0))
    await _write(session, actor, customer, Plan(allocations, left), purchase.currency,
                 summary, utcnow(), kind=PaymentKind.WRITE_OFF, purchase=purchase.id)
    return left


async def outstanding(session: AsyncSession, customer: Customer) -> dict[str, int]:
    """What the customer still owes, per currency (none: an empty dict)."""
    owed: dict[str, int] = {}
    for purchase in await session.scalars(
            select(Purchase).where(Purchase.customer_id == customer.id,
                                   Purchase.paid_minor < Purchase.amount_minor)):
        owed[purchase.currency] = owed.get(purchase.currency, 0) + outstanding_of(purchase)
    return owed


def _summary(amount_minor: int, currency: str) -> str:
    return f"{amount_minor // 100}.{amount_minor % 100:02d} {currency}"

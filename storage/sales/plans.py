"""Payment plans (回款计划): how a purchase is to be paid, installment by installment, and
the invoice (开票) issued for each.

A plan is set with the purchase (said in the same sentence, handlers/purchases.py) or
later on a saved one: from the purchase's money view or right after a deal is won, as
equal monthly parts or typed ("12月15日 10万，1月15日 10万"). Its amounts add up to the
purchase's, none is due before today, and each installment has a reminder for the
customer's owner on its day. What the purchase had paid before (a deposit) pays its
installments in the order they are due, as a payment would have, and the reminder of
one it pays in full is closed at once.

A plan may be replaced while no payment, return or write-off was applied to one of its
installments: after that, replacing it would rewrite what those rows say they paid. The
old installments go with their open reminders. Who may see the customer may plan and
invoice their purchases; both are on the customer's /history.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, ValidationFailed
from storage.models import (
    Customer,
    Delivery,
    Installment,
    Payment,
    Purchase,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from storage.sales.payments import PaidStatus, outstanding_of, status_of
from storage.users import Actor

INVOICE_NUMBER_LIMIT = 64  # the column's width


@dataclass(frozen=True)
class PurchaseMoney:
    """A purchase, its installments in the order they are due, and where it stands."""

    purchase: Purchase
    installments: list[Installment]
    status: PaidStatus
    overdue_minor: int  # what its installments due before today still owe


def monthly(amount_minor: int, count: int, first_due: date) -> list[tuple[date, int]]:
    """`amount_minor` in `count` equal monthly parts from `first_due` (the same day of each
    month, or the month's last); the cents that do not divide go on the last part."""
    if not 1 <= count <= 60:
        raise ValidationFailed("plan", N_("A plan has from 1 to 60 installments."))
    part = amount_minor // count
    if part <= 0:
        raise ValidationFailed("plan", N_("Each installment must be more than zero."))
    return [(_months_after(first_due, n), part if n < count - 1
             else amount_minor - part * (count - 1)) for n in range(count)]


def _months_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


async def set_plan(session: AsyncSession, purchase: Purchase,
                   plan: list[tuple[date, int]], *, today: date,
                   remind_at: Callable[[date], datetime]) -> list[Installment]:
    """The purchase's installments: (due day, amount in minor units) each, each with a
    reminder for the customer's owner at `remind_at(due day)` (at once if that passed)."""
    if sum(amount for _, amount in plan) != purchase.amount_minor:
        raise ValidationFailed("plan", N_("The installments do not add up to the purchase's "
                                          "amount."))
    if any(amount <= 0 for _, amount in plan):
        raise ValidationFailed("plan", N_("Each installment must be more than zero."))
    if any(due < today for due, _ in plan):
        raise ValidationFailed("plan", N_("An installment cannot be due in the past."))
    customer = await session.get(Customer, purchase.customer_id)
    assert customer is not None
    now = utcnow()
    purchase.planned = True  # what it owes is now owed by its installments
    paid_before = purchase.paid_minor
    installments = []
    for number, (due, amount) in enumerate(sorted(plan), start=1):
        paid = min(amount, paid_before)
        paid_before -= paid
        when = remind_at(due)
        reminder = Reminder(
            kind=ReminderKind.INSTALLMENT, customer_id=customer.id,
            user_id=customer.owner_id or purchase.user_id, created_by_id=purchase.user_id,
            due_at=when, send_after=None if paid == amount else max(when, now),
            text=f"{number}/{len(plan)}",
            status=ReminderStatus.DONE if paid == amount else ReminderStatus.OPEN,
            done_at=now if paid == amount else None,
            delivery=Delivery.PENDING, attempts=0, late=False, created_at=now)
        session.add(reminder)
        await session.flush()
        installments.append(Installment(
            purchase_id=purchase.id, customer_id=customer.id, due_on=due, amount_minor=amount,
            paid_minor=paid, currency=purchase.currency, reminder_id=reminder.id))
    session.add_all(installments)
    await session.flush()
    return installments


async def replan(session: AsyncSession, actor: Actor, purchase_id: int,
                 plan: list[tuple[date, int]], *, today: date,
                 remind_at: Callable[[date], datetime]) -> list[Installment]:
    """A saved purchase's plan, set or replaced (see the module's docstring); audited."""
    purchase = await load_purchase(session, actor, purchase_id)
    old = list(await session.scalars(select(Installment).where(
        Installment.purchase_id == purchase.id)))
    if old:
        settled = await session.scalar(select(func.count()).select_from(Payment).where(
            Payment.installment_id.in_([i.id for i in old])))
        if settled:
            raise ValidationFailed("plan", N_(
                "Payments were applied to this plan's installments, so it cannot be "
                "replaced."))
        reminders = [i.reminder_id for i in old if i.reminder_id is not None]
        await session.execute(delete(Installment).where(Installment.purchase_id == purchase.id))
        if reminders:
            await session.execute(update(Reminder).where(
                Reminder.id.in_(reminders), Reminder.status == ReminderStatus.OPEN)
                .values(status=ReminderStatus.CANCELLED, send_after=None))
    installments = await set_plan(session, purchase, plan, today=today, remind_at=remind_at)
    audit.record(session, actor_id=actor.user_id, action="plan", entity="customer",
                 entity_id=purchase.customer_id, after={
                     "purchase": purchase.id,
                     "installments": [[i.due_on.isoformat(), i.amount_minor]
                                      for i in installments],
                     "replaced": [[i.due_on.isoformat(), i.amount_minor] for i in old]})
    return installments


async def record_invoice(session: AsyncSession, actor: Actor, installment_id: int,
                         number: str, issued_on: date) -> Installment:
    """The invoice issued for an installment (开票): its number and day; audited."""
    number = " ".join(number.split())
    if not number:
        raise ValidationFailed("invoice", N_("Send the invoice's number, e.g. FP2026-001."))
    if len(number) > INVOICE_NUMBER_LIMIT:
        raise ValidationFailed("invoice", N_("An invoice number has at most {limit} "
                                             "characters."), limit=INVOICE_NUMBER_LIMIT)
    installment = await session.get(Installment, installment_id)
    if installment is None:
        raise ValidationFailed("installment", N_("That installment no longer exists."))
    await load_customer(session, installment.customer_id, actor)  # rights check
    before = {"invoice_no": installment.invoice_no,
              "invoice_on": installment.invoice_on.isoformat()
              if installment.invoice_on else None}
    installment.invoice_no, installment.invoice_on = number, issued_on
    audit.record(session, actor_id=actor.user_id, action="invoice", entity="customer",
                 entity_id=installment.customer_id, before=before, after={
                     "purchase": installment.purchase_id, "due_on":
                     installment.due_on.isoformat(), "invoice_no": number,
                     "invoice_on": issued_on.isoformat()})
    return installment


async def purchase_money(session: AsyncSession, actor: Actor, purchase_id: int,
                         today: date) -> PurchaseMoney:
    """One purchase with its installments and where it stands today."""
    purchase = await load_purchase(session, actor, purchase_id)
    return (await _with_installments(session, [purchase], today))[0]


async def purchases_money(session: AsyncSession, customer: Customer, today: date, *,
                          limit: int = 10) -> list[PurchaseMoney]:
    """The customer's latest purchases, newest first, each with its installments."""
    latest = list(await session.scalars(
        select(Purchase).where(Purchase.customer_id == customer.id)
        .order_by(Purchase.occurred_at.desc(), Purchase.id.desc()).limit(limit)))
    return await _with_installments(session, latest, today)


async def _with_installments(session: AsyncSession, bought: list[Purchase], today: date
                             ) -> list[PurchaseMoney]:
    plans: dict[int, list[Installment]] = {}
    if bought:
        for installment in await session.scalars(
                select(Installment).where(Installment.purchase_id.in_([p.id for p in bought]))
                .order_by(Installment.due_on, Installment.id)):
            plans.setdefault(installment.purchase_id, []).append(installment)
    found = []
    for purchase in bought:
        installments = plans.get(purchase.id, [])
        # Without a plan, what is owed was due on the day it was bought (as the aging
        # reads it, storage/sales/receivables.py).
        late = (sum(i.amount_minor - i.paid_minor for i in installments
                    if i.due_on < today and i.paid_minor < i.amount_minor)
                if purchase.planned else
                outstanding_of(purchase) if purchase.occurred_at.date() < today else 0)
        status = status_of(purchase)
        found.append(PurchaseMoney(purchase, installments,
                                   PaidStatus.OVERDUE if late else status, late))
    return found


async def load_purchase(session: AsyncSession, actor: Actor, purchase_id: int) -> Purchase:
    """The purchase, if the actor may see its customer."""
    purchase = await session.get(Purchase, purchase_id)
    if purchase is None:
        raise ValidationFailed("purchase", N_("That purchase no longer exists."))
    await load_customer(session, purchase.customer_id, actor)  # rights check
    return purchase

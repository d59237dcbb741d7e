"""Audit and privacy: a record's history, export of everything about one customer, and
erasure on request (personal fields anonymised, counts and dates kept, the act audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import TEXT_FIELDS, restart_clocks, touch
from storage.errors import N_, Conflict, NotFound
from storage.models import (
    AuditEntry,
    Campaign,
    CampaignRecipient,
    ContactKind,
    ContactPoint,
    Customer,
    EmailSuppression,
    ImportJob,
    ImportRow,
    Installment,
    Interaction,
    Payment,
    Purchase,
    Reminder,
    ReminderStatus,
    ServiceRequest,
    Survey,
    User,
    format_code,
)
from storage.users import Actor, can_see, ensure_admin

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Change:
    at: Any
    who: str
    action: str
    fields: dict[str, tuple[Any, Any]]  # field: (before, after), for updates


async def load_record(session: AsyncSession, actor: Actor, customer_id: int) -> Customer:
    """This very record (not followed through merges), if the actor may see it."""
    customer = await session.get(Customer, customer_id)
    if customer is None or not can_see(actor, customer):
        raise NotFound(N_("No customer {code} that you can see."), code=format_code(customer_id))
    return customer


async def history(session: AsyncSession, actor: Actor, customer_id: int) -> list[Change]:
    """Who changed what and when, newest first."""
    await load_record(session, actor, customer_id)
    rows = await session.execute(
        select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.entity == "customer", AuditEntry.entity_id == customer_id)
        .order_by(AuditEntry.id.desc()).limit(HISTORY_LIMIT))
    entries = list(rows)
    names = dict((await session.execute(select(User.id, User.display_name))).all())
    changes = []
    for entry, who in entries:
        before, after = entry.before or {}, entry.after or {}
        fields = {_FIELD_NAMES.get(key, key): (_readable(key, before.get(key), names),
                                              _readable(key, after.get(key), names))
                  for key in sorted(set(before) | set(after))
                  if before and after and before.get(key) != after.get(key)
                  and key != "merge_id"}
        changes.append(Change(entry.at, who or "—", entry.action, fields))
    imported = await session.execute(
        select(ImportJob.started_at, ImportJob.file_name, ImportRow.row, User.display_name)
        .join(ImportRow, ImportRow.import_id == ImportJob.id)
        .outerjoin(User, User.id == ImportJob.actor_id)
        .where(ImportRow.customer_id == customer_id, ImportRow.outcome == "created"))
    for at, file_name, row, who in imported:
        changes.append(Change(at, who or "—", "import",
                              {"file": ("", file_name), "row": ("", row)}))
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes


# Audit snapshots keep ids; the history shows people by name.
_FIELD_NAMES = {"owner_id": "owner", "shared_with": "shared with",
                "merged_into_id": "merged into"}


def _readable(key: str, value: Any, names: dict[int, str]) -> Any:
    if key == "owner_id" and isinstance(value, int):
        return names.get(value, value)
    if key == "shared_with" and isinstance(value, list):
        return [names.get(v, v) for v in value]
    if key == "merged_into_id" and isinstance(value, int):
        return format_code(value)
    return value


async def export_customer(session: AsyncSession, actor: Actor, customer_id: int
                          ) -> dict[str, Any]:
    """Everything stored about one customer, as JSON-ready data; the export is audited."""
    ensure_admin(actor)
    customer = await load_record(session, actor, customer_id)
    entries = await session.scalars(
        select(Interaction).where(Interaction.customer_id == customer.id)
        .order_by(Interaction.id))
    reminders = await session.scalars(
        select(Reminder).where(Reminder.customer_id == customer.id).order_by(Reminder.id))
    log = await audit.history(session, "customer", customer.id)
    bought = await session.scalars(
        select(Purchase).where(Purchase.customer_id == customer.id).order_by(Purchase.id))
    plan = await session.scalars(
        select(Installment).where(Installment.customer_id == customer.id)
        .order_by(Installment.id))
    paid = await session.scalars(
        select(Payment).where(Payment.customer_id == customer.id).order_by(Payment.id))
    asked = await session.scalars(
        select(ServiceRequest).where(ServiceRequest.customer_id == customer.id)
        .order_by(ServiceRequest.id))
    said = await session.scalars(
        select(Survey).where(Survey.customer_id == customer.id).order_by(Survey.id))
    mailed = await session.execute(
        select(CampaignRecipient, Campaign.subject).join(
            Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(CampaignRecipient.customer_id == customer.id).order_by(CampaignRecipient.id))
    emails = [c.value.lower() for c in customer.contacts if c.kind == ContactKind.EMAIL]
    suppressed: list[EmailSuppression] = list(await session.scalars(
        select(EmailSuppression).where(EmailSuppression.email.in_(emails)))) if emails else []
    data = {
        "exported_at": utcnow().isoformat(),
        "customer": {
            **audit.customer_snapshot(customer),
            "created_at": _iso(customer.created_at), "updated_at": _iso(customer.updated_at),
            "last_contact_at": _iso(customer.last_contact_at),
            "last_verified_at": _iso(customer.last_verified_at),
            "erased_at": _iso(customer.erased_at),
            "shared_with": [u.id for u in customer.shared_with],
        },
        "interactions": [
            {"id": e.id, "kind": e.kind, "occurred_at": _iso(e.occurred_at),
             "summary": e.summary, "outcome": e.outcome, "user_id": e.user_id,
             "attachment": e.attachment_kind} for e in entries],
        "reminders": [
            {"id": r.id, "kind": r.kind, "due_at": _iso(r.due_at), "text": r.text,
             "status": r.status, "user_id": r.user_id} for r in reminders],
        "purchases": [
            {"id": p.id, "occurred_at": _iso(p.occurred_at), "product": p.product,
             "quantity": p.quantity, "amount_minor": p.amount_minor, "currency": p.currency,
             "paid_minor": p.paid_minor, "user_id": p.user_id} for p in bought],
        "installments": [
            {"id": i.id, "purchase_id": i.purchase_id, "due_on": i.due_on.isoformat(),
             "amount_minor": i.amount_minor, "paid_minor": i.paid_minor,
             "currency": i.currency, "invoice_no": i.invoice_no,
             "invoice_on": i.invoice_on.isoformat() if i.invoice_on else None} for i in plan],
        "payments": [
            {"id": p.id, "purchase_id": p.purchase_id, "installment_id": p.installment_id,
             "received_at": _iso(p.received_at), "amount_minor": p.amount_minor,
             "currency": p.currency, "user_id": p.user_id} for p in paid],
        "service_requests": [
            {"id": r.id, "kind": r.kind, "priority": r.priority, "problem": r.problem,
             "status": r.status, "assignee_id": r.assignee_id, "due_at": _iso(r.due_at),
             "created_at": _iso(r.created_at), "first_response_at": _iso(r.first_response_at),
             "resolved_at": _iso(r.resolved_at), "resolution": r.resolution} for r in asked],
        "surveys": [
            {"id": v.id, "request_id": v.request_id, "created_at": _iso(v.created_at),
             "expires_at": _iso(v.expires_at), "answered_at": _iso(v.answered_at),
             "stars": v.stars, "recommend": v.recommend, "comment": v.comment}
            for v in said],
        "campaigns": [
            {"campaign_id": r.campaign_id, "subject": subject, "group": r.group,
             "reason": r.reason, "email": r.email, "status": r.status,
             "sent_at": _iso(r.sent_at)} for r, subject in mailed],
        "email_suppressions": [
            {"email": x.email, "reason": x.reason, "at": _iso(x.at)} for x in suppressed],
        "audit": [
            {"at": _iso(a.at), "actor_id": a.actor_id, "action": a.action,
             "before": a.before, "after": a.after} for a in log],
    }
    audit.record(session, actor_id=actor.user_id, action="export", entity="customer",
                 entity_id=customer.id)
    return data


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


async def erase_customer(session: AsyncSession, actor: Actor, customer_id: int) -> Customer:
    """Anonymises the customer and every record merged into it: names, contacts, notes,
    tags, what the timeline and reminders say, and the personal data in past audit
    entries. Counts, kinds and dates stay, so reports still add up."""
    ensure_admin(actor)
    customer = await load_record(session, actor, customer_id)
    if customer.erased_at is not None:
        raise Conflict(N_("This customer was already erased."))
    if customer.merged_into_id is not None:
        raise Conflict(N_("This record was merged into another one."))
    merged_in = list(await session.scalars(
        select(Customer).where(Customer.merged_into_id == customer.id)))
    now = utcnow()
    for record in [customer, *merged_in]:
        for name in TEXT_FIELDS:
            setattr(record, name, None)
        record.name = f"Erased {record.code}"
        record.tags = []
        record.shared_with = []
        record.erased_at = now
        restart_clocks(record)
        touch(record)
    ids = [record.id for record in (customer, *merged_in)]
    await session.execute(delete(ContactPoint).where(ContactPoint.customer_id.in_(ids)))
    await session.execute(
        update(Interaction).where(Interaction.customer_id.in_(ids))
        .values(summary="", outcome=None, attachment_kind=None, attachment_file_id=None))
    await session.execute(
        update(Reminder).where(Reminder.customer_id.in_(ids)).values(text=""))
    await session.execute(  # what was wrong and what was done may name the customer
        update(ServiceRequest).where(ServiceRequest.customer_id.in_(ids))
        .values(problem="", resolution=None))
    await session.execute(  # the customer's own words; the scores stay for the averages
        update(Survey).where(Survey.customer_id.in_(ids)).values(comment=None))
    # Which campaigns reached them stays (the effect's counts); the address does not. An
    # opt-out stays too, keyed by the address alone: erasing is no consent to be written to.
    await session.execute(update(CampaignRecipient).where(
        CampaignRecipient.customer_id.in_(ids)).values(email=None))
    await session.execute(update(EmailSuppression).where(
        EmailSuppression.customer_id.in_(ids)).values(customer_id=None))
    await session.execute(
        update(Reminder).where(Reminder.customer_id.in_(ids),
                               Reminder.status == ReminderStatus.OPEN)
        .values(status=ReminderStatus.CANCELLED, send_after=None, claim_token=None))
    await session.execute(
        update(AuditEntry).where(AuditEntry.entity == "customer", AuditEntry.entity_id.in_(ids))
        .values(before=None, after=None))
    await session.flush()
    for record_id in ids:
        audit.record(session, actor_id=actor.user_id, action="erase", entity="customer",
                     entity_id=record_id, after={"erased": True})
    return customer

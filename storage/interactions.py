"""The timeline: calls, meetings, messages, emails, notes and feedback per customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer, settle_nudges
from storage.errors import N_, ValidationFailed
from storage.models import Customer, Interaction, InteractionKind, ReminderKind
from storage.users import Actor
from storage.validation import clean_text

# A phone's clock may run a little ahead of ours; anything further is a mistake.
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Attachment:
    kind: str  # voice, photo, document
    file_id: str


async def log_interaction(
    session: AsyncSession,
    actor: Actor,
    customer_id: int,
    *,
    kind: InteractionKind,
    summary: str,
    occurred_at: datetime | None = None,
    outcome: str | None = None,
    attachment: Attachment | None = None,
) -> Interaction:
    """Adds one entry to the customer's timeline and moves its last contact forward."""
    customer = await load_customer(session, customer_id, actor)
    text = clean_text("summary", summary, required=attachment is None) or ""
    now = utcnow()
    when = occurred_at or now
    if when > now + FUTURE_SLACK:
        raise ValidationFailed("occurred", N_("A contact cannot be logged in the future."))
    entry = Interaction(
        customer_id=customer.id, user_id=actor.user_id, kind=InteractionKind(kind),
        occurred_at=when, summary=text, outcome=clean_text("outcome", outcome),
        attachment_kind=attachment.kind if attachment else None,
        attachment_file_id=attachment.file_id if attachment else None, created_at=now,
    )
    session.add(entry)
    if kind is not InteractionKind.NOTE and (
        customer.last_contact_at is None or customer.last_contact_at < when
    ):
        customer.last_contact_at = when
        if not customer.archived:
            customer.quiet_since = when
        await settle_nudges(session, customer.id, ReminderKind.QUIET)
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="log", entity="customer",
                 entity_id=customer.id, after={"interaction": entry.id, "kind": entry.kind})
    return entry


async def timeline(
    session: AsyncSession, actor: Actor, customer_id: int, *, limit: int = 5, offset: int = 0
) -> tuple[list[Interaction], int]:
    """One page of the customer's interactions, newest first, and how many there are."""
    customer = await load_customer(session, customer_id, actor)
    rows = await recent(session, customer, limit=limit, offset=offset)
    total = await session.scalar(
        select(func.count()).select_from(Interaction)
        .where(Interaction.customer_id == customer.id)
    )
    return rows, int(total or 0)


async def recent(session: AsyncSession, customer: Customer, *, limit: int = 5, offset: int = 0
                 ) -> list[Interaction]:
    """Newest first, for a customer already loaded with the actor's rights (the card)."""
    rows = await session.scalars(
        select(Interaction).where(Interaction.customer_id == customer.id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit).offset(offset)
    )
    return list(rows)


async def load_interaction(session: AsyncSession, actor: Actor, interaction_id: int
                           ) -> Interaction:
    entry = await session.get(Interaction, interaction_id)
    if entry is None:
        raise ValidationFailed("summary", N_("That entry no longer exists."))
    await load_customer(session, entry.customer_id, actor)  # the rights check
    return entry

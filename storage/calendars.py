"""Each member's follow-ups in their phone's calendar: a secret address that serves their
open follow-ups, collection dates and service requests as an iCalendar feed
(webapp/calendar.py renders it).

The address carries a random token of 192 bits; the table keeps only its SHA-256, so the
table alone opens no feed, and the link is shown once, when it is made. Renewing makes a
new token (the old one answers 404 at once); revoking deletes the row. A member who left
the team has no feed. The feed is read-only: changes are made in the chat.

What it holds is the member's open reminders of those three kinds, from 90 days back
(an overdue follow-up stays visible) and at most `FEED_LIMIT` of them, so a calendar app
that polls it every hour costs one indexed query (ix_reminders_user_status_due).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import utcnow
from storage.models import (
    CalendarFeed,
    Customer,
    Installment,
    Reminder,
    ReminderKind,
    ReminderStatus,
    User,
)

PATH = "/cal/"
SUFFIX = ".ics"
FEED_LIMIT = 5000  # a member with more open follow-ups than this has other troubles
LOOKBACK = timedelta(days=90)
KINDS = (ReminderKind.FOLLOWUP, ReminderKind.INSTALLMENT, ReminderKind.REQUEST)


@dataclass(frozen=True)
class CalendarEntry:
    """One event: a follow-up or request at its time, a collection on its day. Plain
    values read by one query (ORM objects cost a third of a 2,000-event feed)."""

    reminder_id: int
    kind: str
    due_at: datetime
    text: str
    customer_id: int | None
    customer_name: str | None
    collect_on: date | None = None  # a collection: its day, and what it still owes
    left_minor: int = 0
    currency: str = ""


def feed_link(public_url: str, token: str) -> str:
    """The address on the public host the Mini App is served from."""
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}{PATH}{token}{SUFFIX}"


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_feed(session: AsyncSession, user_id: int) -> str:
    """A new secret address for the member (any earlier one stops working); its token."""
    token = secrets.token_urlsafe(24)
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    session.add(CalendarFeed(user_id=user_id, token_hash=_hashed(token), created_at=utcnow()))
    await session.flush()
    return token


async def revoke_feed(session: AsyncSession, user_id: int) -> bool:
    """The member's address stops working; False when there was none."""
    result = await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def feed_made(session: AsyncSession, user_id: int) -> datetime | None:
    """When the member's current address was made (None: they have none)."""
    return await session.scalar(select(CalendarFeed.created_at).where(
        CalendarFeed.user_id == user_id))


async def feed_owner(session: AsyncSession, token: str) -> User | None:
    """The active member whose address carries `token`; None for anything else."""
    if not token or len(token) > 64:
        return None
    return await session.scalar(
        select(User).join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == _hashed(token), User.active.is_(True)))


async def calendar_entries(session: AsyncSession, user: User) -> list[CalendarEntry]:
    """The member's open follow-ups, collections and requests, oldest first."""
    rows = await session.execute(
        select(Reminder.id, Reminder.kind, Reminder.due_at, Reminder.text,
               Reminder.customer_id, Customer.name, Installment.due_on,
               Installment.amount_minor - Installment.paid_minor, Installment.currency)
        .outerjoin(Customer, Customer.id == Reminder.customer_id)
        .outerjoin(Installment, Installment.reminder_id == Reminder.id)
        .where(Reminder.user_id == user.id, Reminder.status == ReminderStatus.OPEN,
               Reminder.kind.in_(KINDS), Reminder.due_at >= utcnow() - LOOKBACK)
        .order_by(Reminder.due_at, Reminder.id).limit(FEED_LIMIT))
    found = []
    for reminder_id, kind, due_at, text, customer_id, name, due_on, left, currency in rows:
        if kind == ReminderKind.INSTALLMENT:
            if due_on is None or left <= 0:  # paid since, or its installment is gone
                continue
            found.append(CalendarEntry(reminder_id, kind, due_at, text, customer_id, name,
                                       due_on, left, currency))
        else:
            found.append(CalendarEntry(reminder_id, kind, due_at, text, customer_id, name))
    return found

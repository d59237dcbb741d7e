"""Follow-ups as rows, and their delivery: claim, send, confirm (DESIGN decision 3).

A row is due when `send_after <= now`. Claiming pushes `send_after` a lease ahead and
stamps a token in the same statement that re-checks the row is still due, so two
senders never claim one row (PostgreSQL also skips rows another claimer holds locked).
If a sender dies after claiming, the lease runs out and the row is due again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, AccessDenied, Conflict, NotFound, ValidationFailed
from storage.interactions import log_interaction
from storage.models import (
    NUDGE_KINDS,
    Customer,
    Deal,
    Delivery,
    Installment,
    InteractionKind,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ServiceRequest,
    User,
)
from storage.requests import overdue_requests
from storage.sales.deals import stalled_deals
from storage.sales.value import Suggestion, churn_warnings, tier_suggestions
from storage.targets import Attainment, Period, attainment, month_of, quarter_of
from storage.users import Actor
from storage.validation import clean_text

# Delivered this long after its time, a reminder says it is late.
LATE_AFTER = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=15)


async def schedule_followup(
    session: AsyncSession, actor: Actor, customer_id: int | None, due_at: datetime, text: str,
    *, for_user_id: int | None = None,
) -> Reminder:
    """A follow-up at `due_at` for the actor (or the member `for_user_id`)."""
    if customer_id is not None:
        await load_customer(session, customer_id, actor)
    _ensure_ahead(due_at)
    reminder = Reminder(
        kind=ReminderKind.FOLLOWUP, customer_id=customer_id,
        user_id=for_user_id or actor.user_id, created_by_id=actor.user_id, due_at=due_at,
        send_after=due_at,
        text=clean_text("reminder", text) or "", status=ReminderStatus.OPEN,
        delivery=Delivery.PENDING, attempts=0, late=False, created_at=utcnow(),
    )
    session.add(reminder)
    await session.flush()
    _audit(session, actor, reminder, "schedule")
    return reminder


def _ensure_ahead(due_at: datetime) -> None:
    """A follow-up time already past is refused, never moved: the user is asked again."""
    if due_at <= utcnow():
        raise ValidationFailed("due", N_("That time has already passed. Please give a later one."))


def _audit(session: AsyncSession, actor: Actor, reminder: Reminder, action: str) -> None:
    audit.record(session, actor_id=actor.user_id, action=action, entity="reminder",
                 entity_id=reminder.id,
                 after={"due_at": reminder.due_at.isoformat(), "status": reminder.status})


async def load_reminder(session: AsyncSession, actor: Actor, reminder_id: int) -> Reminder:
    """The reminder if it is the actor's, or a manager's team's; checked on every press."""
    reminder = await session.get(Reminder, reminder_id)
    if reminder is None:
        raise NotFound(N_("That follow-up no longer exists."))
    if reminder.user_id != actor.user_id and not actor.is_manager:
        raise AccessDenied(N_("That follow-up is not yours."))
    return reminder


def ensure_open(reminder: Reminder) -> Reminder:
    if reminder.status == ReminderStatus.DONE:
        raise Conflict(N_("This follow-up is already done."))
    if reminder.status == ReminderStatus.CANCELLED:
        raise Conflict(N_("This follow-up was cancelled."))
    return reminder


async def reschedule(session: AsyncSession, actor: Actor, reminder_id: int, due_at: datetime
                     ) -> Reminder:
    """Snooze or move: the reminder will be sent again at `due_at`."""
    reminder = ensure_open(await load_reminder(session, actor, reminder_id))
    _ensure_ahead(due_at)
    reminder.due_at = due_at
    reminder.send_after = due_at
    reminder.delivery = Delivery.PENDING
    reminder.claim_token = None
    reminder.attempts = 0
    reminder.late = False
    _audit(session, actor, reminder, "reschedule")
    return reminder


async def complete(session: AsyncSession, actor: Actor, reminder_id: int, outcome: str | None
                   ) -> Reminder:
    """Done; a one-line outcome goes on the customer's timeline."""
    reminder = ensure_open(await load_reminder(session, actor, reminder_id))
    reminder.status = ReminderStatus.DONE
    reminder.done_at = utcnow()
    reminder.send_after = None
    if outcome and reminder.customer_id is not None:
        entry = await log_interaction(
            session, actor, reminder.customer_id, kind=InteractionKind.NOTE,
            summary=reminder.text, outcome=outcome,
        )
        reminder.outcome_interaction_id = entry.id
    _audit(session, actor, reminder, "complete")
    return reminder


async def cancel(session: AsyncSession, actor: Actor, reminder_id: int) -> Reminder:
    reminder = ensure_open(await load_reminder(session, actor, reminder_id))
    reminder.status = ReminderStatus.CANCELLED
    reminder.send_after = None
    _audit(session, actor, reminder, "cancel")
    return reminder


async def open_followups(session: AsyncSession, actor: Actor, until: datetime) -> list[Reminder]:
    """The actor's open follow-ups due before `until`, oldest first (overdue ones too)."""
    rows = await session.scalars(
        select(Reminder)
        .where(Reminder.user_id == actor.user_id, Reminder.status == ReminderStatus.OPEN,
               Reminder.kind == ReminderKind.FOLLOWUP, Reminder.due_at < until)
        .order_by(Reminder.due_at, Reminder.id).limit(200)
    )
    return list(rows)


# ---- the daily digest --------------------------------------------------------------------

def next_local_hour(now: datetime, timezone: str, hour: int) -> datetime:
    """The next moment the clock shows `hour`:00 in `timezone`, as UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    target = datetime.combine(local.date(), time(hour), tzinfo=local.tzinfo)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour),
                                  tzinfo=local.tzinfo)
    return target.astimezone(UTC)


async def plan_each(session: AsyncSession, kind: ReminderKind, who: ColumnElement[bool],
                    due_for: Callable[[User], datetime], now: datetime) -> int:
    """Gives every active member matching `who` without a pending row of `kind` (digest,
    weekly summary) one at `due_for(member)`.

    Two instances may both try; a partial unique index on (user, due_at) for the kind lets
    one insert win, the other's transaction is rolled back and nothing is lost.
    """
    has_one = select(Reminder.user_id).where(Reminder.kind == kind,
                                             Reminder.send_after.is_not(None))
    members = await session.scalars(
        select(User).where(User.active.is_(True), who, User.id.not_in(has_one)))
    created = 0
    for user in members:
        due = due_for(user)
        session.add(Reminder(kind=kind, user_id=user.id, due_at=due, send_after=due,
                             status=ReminderStatus.OPEN, delivery=Delivery.PENDING,
                             attempts=0, late=False, created_at=now))
        created += 1
    return created


async def ensure_digests(session: AsyncSession, now: datetime, hour: int) -> int:
    """Every member's next digest, at their local `hour`."""
    return await plan_each(session, ReminderKind.DIGEST, true(),
                           lambda user: next_local_hour(now, user.timezone, hour), now)


@dataclass(frozen=True)
class Digest:
    overdue: list[Reminder]
    today: list[Reminder]
    nudges: list[Reminder]  # stale-record nudges not shown yet
    deals: list[Deal] = field(default_factory=list)  # open deals past their close date
    tiers: list[Suggestion] = field(default_factory=list)  # tiers last night's values suggest
    churn: list[Suggestion] = field(default_factory=list)  # customers slipping away
    # Installments past their day and not paid, with the customer: money to collect.
    collections: list[tuple[Installment, Customer]] = field(default_factory=list)
    requests: list[ServiceRequest] = field(default_factory=list)  # open, past their due time
    # The member's own targets this month and quarter, with how far they are.
    targets: list[tuple[Period, list[Attainment]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.nudges or self.deals or self.tiers
                    or self.churn or self.collections or self.requests or self.targets)


DIGEST_NUDGES = 10
DIGEST_COLLECTIONS = 10


async def digest_for(session: AsyncSession, user: User, now: datetime) -> Digest:
    """What a member should look at today: overdue and today's follow-ups, and the
    stale-record nudges that are waiting for a digest."""
    local = now.astimezone(ZoneInfo(user.timezone))
    day_end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)
    due = list(await session.scalars(
        select(Reminder).where(Reminder.user_id == user.id,
                               Reminder.kind == ReminderKind.FOLLOWUP,
                               Reminder.status == ReminderStatus.OPEN, Reminder.due_at < day_end)
        .order_by(Reminder.due_at).limit(50)))
    nudges = list(await session.scalars(
        select(Reminder).where(Reminder.user_id == user.id, Reminder.kind.in_(NUDGE_KINDS),
                               Reminder.status == ReminderStatus.OPEN,
                               Reminder.delivery == Delivery.PENDING,
                               Reminder.send_after.is_(None), Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id).limit(DIGEST_NUDGES)))
    return Digest(overdue=[r for r in due if r.due_at <= now],
                  today=[r for r in due if r.due_at > now], nudges=nudges,
                  deals=await stalled_deals(session, user, local.date()),
                  tiers=await tier_suggestions(session, user.id),
                  churn=await churn_warnings(session, now, owner_id=user.id),
                  collections=await overdue_collections(session, user.id, local.date()),
                  requests=await overdue_requests(session, user.id, now),
                  targets=await own_attainment(session, user, local.date()))


async def own_attainment(session: AsyncSession, user: User, today: date
                         ) -> list[tuple[Period, list[Attainment]]]:
    """The member's targets of this month and this quarter, where there are any."""
    found = []
    for period in (month_of(today), quarter_of(today)):
        rows = await attainment(session, period, today, user.timezone, user_ids=[user.id])
        if rows:
            found.append((period, rows))
    return found


async def overdue_collections(session: AsyncSession, owner_id: int, today: date
                              ) -> list[tuple[Installment, Customer]]:
    """An owner's installments past their day and not fully paid, the latest first; they
    stay in every digest until paid."""
    rows = await session.execute(
        select(Installment, Customer).join(Customer, Customer.id == Installment.customer_id)
        .where(Customer.owner_id == owner_id, Customer.merged_into_id.is_(None),
               Installment.paid_minor < Installment.amount_minor, Installment.due_on < today)
        .order_by(Installment.due_on, Installment.id).limit(DIGEST_COLLECTIONS))
    return [(installment, customer) for installment, customer in rows]


async def mark_shown(session: AsyncSession, reminder_ids: list[int], now: datetime) -> None:
    """Nudges that went out inside a digest count as delivered."""
    if reminder_ids:
        await session.execute(update(Reminder).where(Reminder.id.in_(reminder_ids))
                              .values(delivery=Delivery.SENT, sent_at=now))


# ---- delivery ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    token: str
    reminder_ids: list[int]


async def claim_due(session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
                    ) -> Claim:
    """Takes up to `limit` due reminders for this sender for `lease`."""
    due = (
        select(Reminder.id).where(Reminder.send_after <= now)
        .order_by(Reminder.send_after, Reminder.id).limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(await session.scalars(due))
    token = secrets.token_hex(8)
    if not ids:
        return Claim(token, [])
    await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids), Reminder.send_after <= now)
        .values(send_after=now + lease, claim_token=token, attempts=Reminder.attempts + 1)
    )
    claimed = await session.scalars(
        select(Reminder.id).where(Reminder.id.in_(ids), Reminder.claim_token == token)
        .order_by(Reminder.due_at, Reminder.id)
    )
    return Claim(token, list(claimed))


async def release_claims(session: AsyncSession, now: datetime) -> int:
    """Makes every claimed, unconfirmed reminder due now. Only for a sender that knows it is
    the only one (the active instance, at its start): the claims are then a dead process's,
    and waiting out their lease would make them late for nothing."""
    result = await session.execute(
        update(Reminder)
        .where(Reminder.claim_token.is_not(None), Reminder.delivery == Delivery.PENDING)
        .values(send_after=now, claim_token=None))
    return int(getattr(result, "rowcount", 0) or 0)


async def claimed_reminder(session: AsyncSession, reminder_id: int, token: str
                           ) -> Reminder | None:
    reminder = await session.get(Reminder, reminder_id)
    if reminder is None or reminder.claim_token != token:
        return None
    return reminder


async def mark_sent(session: AsyncSession, reminder_id: int, token: str, now: datetime, *,
                    late: bool = False) -> bool:
    """Only the holder of the claim confirms; False if the claim was lost meanwhile."""
    result = await session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.claim_token == token)
        .values(send_after=None, delivery=Delivery.SENT, sent_at=now, claim_token=None,
                late=late)
    )
    return bool(getattr(result, "rowcount", 0))


async def retry_later(session: AsyncSession, reminder_id: int, token: str, *, now: datetime,
                      wait: timedelta | None = None) -> None:
    """After a network error, 5xx or 429: back off (doubling, at most 15 min) or as told."""
    reminder = await claimed_reminder(session, reminder_id, token)
    if reminder is None:
        return
    if wait is None:
        wait = min(timedelta(seconds=5 * 2 ** max(reminder.attempts - 1, 0)), MAX_BACKOFF)
    reminder.send_after = now + wait
    reminder.claim_token = None


async def give_up(session: AsyncSession, reminder_id: int, token: str, *, blocked: bool) -> None:
    """The user blocked the bot (skipped, and marked so nothing else is tried) or Telegram
    refused the message for good."""
    reminder = await claimed_reminder(session, reminder_id, token)
    if reminder is None:
        return
    reminder.send_after = None
    reminder.claim_token = None
    reminder.delivery = Delivery.SKIPPED if blocked else Delivery.FAILED
    if blocked:
        user = await session.get(User, reminder.user_id)
        if user is not None:
            user.blocked_at = utcnow()


async def nothing_to_send(session: AsyncSession, reminder_id: int, token: str, *,
                          cancel: bool = False) -> None:
    """An empty digest, or a nudge about a record archived meanwhile: no message."""
    reminder = await claimed_reminder(session, reminder_id, token)
    if reminder is not None:
        reminder.send_after = None
        reminder.claim_token = None
        reminder.delivery = Delivery.SKIPPED
        if cancel:
            reminder.status = ReminderStatus.CANCELLED


def is_late(reminder: Reminder, now: datetime) -> bool:
    return now - reminder.due_at > LATE_AFTER

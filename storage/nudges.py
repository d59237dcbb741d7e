"""Stale-record nudges: customers gone quiet, contact details not confirmed for months.

Each customer carries two clocks (`quiet_since`, `unverified_since`). The scan reads only
clocks that ran out, through an index per owner, and stops each clock when it creates a
nudge; so a scan never looks at a customer it already nudged, and a quiet database costs
one short index probe per member. A contact, a confirmation or "Mark reviewed" restarts
the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer, mark_verified
from storage.errors import N_, Conflict, NotFound
from storage.models import (
    NUDGE_KINDS,
    Customer,
    Delivery,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Tier,
    User,
)
from storage.reminders import ensure_open, load_reminder, next_local_hour, schedule_followup
from storage.users import Actor

SNOOZE = timedelta(days=7)
CHUNK = 500  # customers stopped and nudged per statement


@dataclass(frozen=True)
class StaleRule:
    """When a record counts as stale, and how many nudges a member gets a day."""

    core_days: int = 14
    important_days: int = 30
    normal_days: int = 90
    unverified_days: int = 180
    per_day: int = 5
    # Nudges sent on their own (no digest) go out between these local hours.
    day_starts: int = 9
    day_ends: int = 20
    # With a daily digest, nudges wait for it instead of coming one by one.
    batched: bool = True

    def quiet_days(self, tier: str) -> int:
        days = {"core": self.core_days, "important": self.important_days}
        return days.get(tier, self.normal_days)


@dataclass(frozen=True)
class _Candidate:
    customer_id: int
    kind: ReminderKind
    overdue_since: datetime


def _local_midnight(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo).astimezone(UTC)


def send_time(now: datetime, timezone: str, rule: StaleRule) -> datetime:
    """Now, if it is daytime for the member; otherwise when their day starts."""
    hour = now.astimezone(ZoneInfo(timezone)).hour
    if rule.day_starts <= hour < rule.day_ends:
        return now
    return next_local_hour(now, timezone, rule.day_starts)


async def scan(session: AsyncSession, now: datetime, rule: StaleRule) -> int:
    """Creates the nudges that are due, at most `per_day` per member per local day."""
    created = 0
    for user in list(await session.scalars(select(User).where(User.active.is_(True)))):
        created += await scan_member(session, user, now, rule)
    return created


async def scan_member(session: AsyncSession, user: User, now: datetime, rule: StaleRule) -> int:
    room = rule.per_day - await _nudged_today(session, user, now)
    return await _nudge_member(session, user, now, rule, room) if room > 0 else 0


async def open_nudges(session: AsyncSession, actor: Actor, now: datetime) -> list[Reminder]:
    """The actor's open nudges that are due (snoozed ones are not), oldest first."""
    rows = await session.scalars(
        select(Reminder).where(Reminder.user_id == actor.user_id,
                               Reminder.kind.in_(NUDGE_KINDS),
                               Reminder.status == ReminderStatus.OPEN, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id).limit(20))
    return list(rows)


async def _nudged_today(session: AsyncSession, user: User, now: datetime) -> int:
    return int(await session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.user_id == user.id, Reminder.kind.in_(NUDGE_KINDS),
            Reminder.created_at >= _local_midnight(now, user.timezone))) or 0)


async def _nudge_member(session: AsyncSession, user: User, now: datetime, rule: StaleRule,
                        room: int) -> int:
    candidates: list[_Candidate] = []
    mine = (Customer.owner_id == user.id, Customer.archived.is_(False))
    for tier in Tier:
        days = timedelta(days=rule.quiet_days(tier))
        rows = await session.execute(
            select(Customer.id, Customer.quiet_since)
            .where(*mine, Customer.tier == tier, Customer.quiet_since < now - days)
            .order_by(Customer.quiet_since).limit(room))
        candidates += [_Candidate(cid, ReminderKind.QUIET, since + days)
                       for cid, since in rows if since is not None]
    days = timedelta(days=rule.unverified_days)
    rows = await session.execute(
        select(Customer.id, Customer.unverified_since)
        .where(*mine, Customer.unverified_since < now - days)
        .order_by(Customer.unverified_since).limit(room))
    candidates += [_Candidate(cid, ReminderKind.UNVERIFIED, since + days)
                   for cid, since in rows if since is not None]
    chosen = sorted(candidates, key=lambda c: c.overdue_since)[:room]
    due = now if rule.batched else send_time(now, user.timezone, rule)
    created = 0
    for kind, clock in ((ReminderKind.QUIET, Customer.quiet_since),
                        (ReminderKind.UNVERIFIED, Customer.unverified_since)):
        ids = [c.customer_id for c in chosen if c.kind is kind]
        for start in range(0, len(ids), CHUNK):
            # Stopping only clocks that still run: of two instances scanning at once, one
            # wins each customer (PostgreSQL re-checks the WHERE under the row lock).
            stopped = list(await session.scalars(
                update(Customer).where(Customer.id.in_(ids[start:start + CHUNK]),
                                       clock.is_not(None))
                .values({clock: None}).returning(Customer.id)))
            if stopped:
                await session.execute(insert(Reminder), [
                    {"kind": kind, "customer_id": customer_id, "user_id": user.id,
                     "due_at": due, "send_after": None if rule.batched else due, "text": "",
                     "status": ReminderStatus.OPEN, "delivery": Delivery.PENDING,
                     "attempts": 0, "late": False, "created_at": now}
                    for customer_id in stopped])
            created += len(stopped)
    return created


# ---- what the buttons do ------------------------------------------------------------------

async def load_nudge(session: AsyncSession, actor: Actor, reminder_id: int
                     ) -> tuple[Reminder, Customer]:
    """A nudge of the actor's (or a manager's team's) and its customer, if they may see it."""
    reminder = await load_reminder(session, actor, reminder_id)
    if reminder.kind not in NUDGE_KINDS or reminder.customer_id is None:
        raise NotFound(N_("That reminder no longer exists."))
    return reminder, await load_customer(session, reminder.customer_id, actor)


async def _reviewed(session: AsyncSession, actor: Actor, reminder: Reminder,
                    customer: Customer) -> None:
    """The nudge is done and the customer's quiet clock starts again from now."""
    ensure_open(reminder)
    reminder.status = ReminderStatus.DONE
    reminder.done_at = utcnow()
    reminder.send_after = None
    audit.record(session, actor_id=actor.user_id, action="reviewed", entity="reminder",
                 entity_id=reminder.id, after={"kind": reminder.kind, "status": reminder.status})
    if not customer.archived:
        customer.quiet_since = utcnow()


async def mark_reviewed(session: AsyncSession, actor: Actor, reminder_id: int) -> Customer:
    """The owner looked at the record and all is well."""
    reminder, customer = await load_nudge(session, actor, reminder_id)
    await _reviewed(session, actor, reminder, customer)
    return customer


async def confirm_details(session: AsyncSession, actor: Actor, reminder_id: int) -> Customer:
    """"All correct": the contact details count as verified from now."""
    reminder, customer = await load_nudge(session, actor, reminder_id)
    ensure_open(reminder)
    await mark_verified(session, customer)  # settles this nudge too
    audit.record(session, actor_id=actor.user_id, action="verify", entity="customer",
                 entity_id=customer.id, after={"last_verified_at": utcnow().isoformat()})
    return customer


async def snooze(session: AsyncSession, actor: Actor, reminder_id: int, rule: StaleRule
                 ) -> Reminder:
    """Asks again in a week (in that day's digest when there is one)."""
    reminder, _ = await load_nudge(session, actor, reminder_id)
    ensure_open(reminder)
    reminder.due_at = utcnow() + SNOOZE
    reminder.send_after = None if rule.batched else reminder.due_at
    reminder.delivery = Delivery.PENDING
    reminder.claim_token = None
    reminder.late = False
    audit.record(session, actor_id=actor.user_id, action="snooze", entity="reminder",
                 entity_id=reminder.id, after={"due_at": reminder.due_at.isoformat()})
    return reminder


async def follow_up(session: AsyncSession, actor: Actor, reminder_id: int, due_at: datetime,
                    text: str) -> Reminder:
    """Turns a gone-quiet nudge into a follow-up at `due_at`."""
    reminder, customer = await load_nudge(session, actor, reminder_id)
    ensure_open(reminder)
    if reminder.kind != ReminderKind.QUIET:
        raise Conflict(N_("That reminder no longer exists."))
    followup = await schedule_followup(session, actor, customer.id, due_at, text)
    await _reviewed(session, actor, reminder, customer)
    return followup


def still_relevant(reminder: Reminder) -> bool:
    """Archived, merged or handed over since the scan: the nudge is not sent."""
    customer = reminder.customer
    return (customer is not None and not customer.archived
            and customer.merged_into_id is None and customer.owner_id == reminder.user_id)

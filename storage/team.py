"""The team: who is in it with what, handing customers over, sharing, leaving, and the
managers' weekly summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, botstate
from storage.clock import utcnow
from storage.customers import drop_nudges, load_customer
from storage.errors import N_, AccessDenied, Conflict, NotFound
from storage.models import (
    Customer,
    Interaction,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Role,
    User,
    customer_shares,
)
from storage.reminders import plan_each
from storage.requests import ResponseTimes, response_times
from storage.sales.receivables import team_collections
from storage.sales.value import Suggestion, churn_warnings, count_churn_warnings
from storage.targets import Attainment, Period, attainment, month_of
from storage.users import Actor, ensure_manager


@dataclass(frozen=True)
class MemberLine:
    user: User
    customers: int
    open_followups: int
    overdue: int


async def _counts(session: AsyncSession, stmt: Select[int | None, int]
                  ) -> dict[int | None, int]:
    """`SELECT key, count … GROUP BY key` as a dict."""
    return {key: int(count) for key, count in (await session.execute(stmt)).all()}


async def every_member(session: AsyncSession) -> list[User]:
    """Everyone who joined, those who left included (to be named, and told so)."""
    return list(await session.scalars(select(User).order_by(User.active.desc(), User.id)))


async def active_members(session: AsyncSession) -> list[User]:
    return list(await session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.id)))


async def overview(session: AsyncSession, actor: Actor) -> list[MemberLine]:
    """Every active member with their customers, open and overdue follow-ups."""
    ensure_manager(actor)
    now = utcnow()
    owned = await _counts(session,
        select(Customer.owner_id, func.count()).where(
            Customer.archived.is_(False), Customer.merged_into_id.is_(None))
        .group_by(Customer.owner_id))
    open_rows = (await session.execute(
        select(Reminder.user_id, func.count(),
               func.sum(case((Reminder.due_at < now, 1), else_=0)))
        .where(Reminder.kind == ReminderKind.FOLLOWUP, Reminder.status == ReminderStatus.OPEN)
        .group_by(Reminder.user_id))).all()
    followups = {uid: (int(total), int(late or 0)) for uid, total, late in open_rows}
    return [MemberLine(user, int(owned.get(user.id, 0)), *followups.get(user.id, (0, 0)))
            for user in await active_members(session)]


async def active_member(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(N_("That member is not in the team any more."))
    return user


async def reassign(session: AsyncSession, actor: Actor, customer_id: int, owner_id: int
                   ) -> Customer:
    """A manager hands a customer to another member."""
    ensure_manager(actor)
    customer = await load_customer(session, customer_id, actor)
    owner = await active_member(session, owner_id)
    before = {"owner_id": customer.owner_id}
    customer.owner_id = owner.id
    customer.owner = owner
    # The old owner's nudges go; clocks they had stopped start again for the new owner.
    await drop_nudges(session, customer.id)
    if not customer.archived and customer.merged_into_id is None:
        customer.quiet_since = customer.quiet_since or customer.last_contact_at or (
            customer.created_at)
        customer.unverified_since = customer.unverified_since or customer.last_verified_at or (
            customer.created_at)
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="reassign", entity="customer",
                 entity_id=customer.id, before=before, after={"owner_id": owner.id})
    return customer


async def toggle_share(session: AsyncSession, actor: Actor, customer_id: int, colleague_id: int
                       ) -> bool:
    """Shares the customer with a colleague, or stops sharing; True if now shared."""
    customer = await load_customer(session, customer_id, actor)
    if customer.owner_id != actor.user_id and not actor.is_manager:
        raise AccessDenied(N_("Only the owner or a manager can share this customer."))
    colleague = await active_member(session, colleague_id)
    if colleague.id == customer.owner_id:
        raise Conflict(N_("That member already owns this customer."))
    shared = colleague in customer.shared_with
    customer.shared_with = ([u for u in customer.shared_with if u.id != colleague.id]
                            if shared else [*customer.shared_with, colleague])
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="share", entity="customer",
                 entity_id=customer.id, before={"shared_with": [colleague.id] if shared else []},
                 after={"shared_with": [] if shared else [colleague.id]})
    return not shared


@dataclass(frozen=True)
class Handover:
    customers: int
    followups: int


async def what_goes(session: AsyncSession, user_id: int) -> Handover:
    customers = await session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == user_id, Customer.merged_into_id.is_(None)))
    followups = await session.scalar(select(func.count(Reminder.id)).where(
        Reminder.user_id == user_id, Reminder.kind == ReminderKind.FOLLOWUP,
        Reminder.status == ReminderStatus.OPEN))
    return Handover(int(customers or 0), int(followups or 0))


async def deactivate(session: AsyncSession, actor: Actor, user_id: int, successor_id: int, *,
                     admin_ids: frozenset[int]) -> Handover:
    """The member leaves: their customers and open follow-ups go to `successor_id`, their
    nudges and digests stop, and they can no longer use the bot."""
    ensure_manager(actor)
    leaving = await active_member(session, user_id)
    if leaving.id == actor.user_id:
        raise Conflict(N_("You cannot deactivate yourself."))
    if leaving.telegram_id in admin_ids:
        raise AccessDenied(N_("Admins from the configuration file cannot be deactivated."))
    if leaving.role != Role.REP and actor.role is not Role.ADMIN:
        raise AccessDenied(N_("Only an admin can deactivate a manager or an admin."))
    if successor_id == leaving.id:
        raise Conflict(N_("Choose someone else to take over."))
    successor = await active_member(session, successor_id)
    handover = await what_goes(session, leaving.id)
    # Nudges of theirs are cancelled below, so the clocks they stopped start again.
    await session.execute(
        update(Customer).where(Customer.owner_id == leaving.id, Customer.archived.is_(False),
                               Customer.merged_into_id.is_(None))
        .values(quiet_since=func.coalesce(Customer.quiet_since, Customer.last_contact_at,
                                          Customer.created_at),
                unverified_since=func.coalesce(Customer.unverified_since,
                                               Customer.last_verified_at, Customer.created_at)))
    await session.execute(update(Customer).where(Customer.owner_id == leaving.id)
                          .values(owner_id=successor.id))
    await session.execute(
        update(Reminder).where(Reminder.user_id == leaving.id,
                               Reminder.kind == ReminderKind.FOLLOWUP,
                               Reminder.status == ReminderStatus.OPEN)
        .values(user_id=successor.id))
    await session.execute(
        update(Reminder).where(Reminder.user_id == leaving.id,
                               Reminder.status == ReminderStatus.OPEN)
        .values(status=ReminderStatus.CANCELLED, send_after=None, claim_token=None))
    await session.execute(customer_shares.delete().where(
        customer_shares.c.user_id == leaving.id))
    leaving.active = False
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="deactivate", entity="user",
                 entity_id=leaving.id,
                 after={"successor_id": successor.id, "customers": handover.customers,
                        "followups": handover.followups})
    return handover


# ---- the managers' weekly summary ---------------------------------------------------------

def next_monday(now: datetime, timezone: str, hour: int) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    days = (7 - local.weekday()) % 7
    target = datetime.combine(local.date() + timedelta(days=days), time(hour),
                              tzinfo=local.tzinfo)
    if target <= local:
        target += timedelta(days=7)
    return target.astimezone(UTC)


async def ensure_weekly(session: AsyncSession, now: datetime, hour: int) -> int:
    """Each manager's (and admin's) next Monday summary."""
    return await plan_each(session, ReminderKind.WEEKLY,
                           User.role.in_((Role.ADMIN, Role.MANAGER)),
                           lambda user: next_monday(now, user.timezone, hour), now)


TEAM_GROUP = "team_group"  # a `bot_state` kind: the one group that gets a summary


@dataclass(frozen=True)
class TeamGroup:
    """The team's group chat, set by a manager with /teamgroup in it: that manager's
    Monday summary goes there instead of to their own chat."""

    chat_id: int
    title: str
    set_by: int  # users.id


async def set_team_group(session: AsyncSession, actor: Actor, chat_id: int, title: str
                         ) -> TeamGroup:
    ensure_manager(actor)
    group = TeamGroup(chat_id, title[:128], actor.user_id)
    await botstate.save(session, TEAM_GROUP, "weekly", {
        "chat_id": chat_id, "title": group.title, "set_by": actor.user_id})
    audit.record(session, actor_id=actor.user_id, action="team_group", entity="user",
                 entity_id=actor.user_id, after={"chat_id": chat_id, "title": group.title})
    return group


async def team_group(session: AsyncSession) -> TeamGroup | None:
    row = (await botstate.load_all(session, TEAM_GROUP)).get("weekly")
    return None if row is None else TeamGroup(int(row["chat_id"]), str(row["title"]),
                                              int(row["set_by"]))


async def forget_team_group(session: AsyncSession, actor: Actor | None = None) -> None:
    """/teamgroup off, or the bot was removed from the group (no actor)."""
    if actor is not None:
        ensure_manager(actor)
    await botstate.remove(session, TEAM_GROUP, "weekly")
    if actor is not None:
        audit.record(session, actor_id=actor.user_id, action="team_group", entity="user",
                     entity_id=actor.user_id, after=None)


@dataclass(frozen=True)
class RepWeek:
    name: str
    new_customers: int
    interactions: int
    overdue: int


@dataclass(frozen=True)
class WeeklySummary:
    since: datetime
    reps: list[RepWeek]
    churn: list[Suggestion] = field(default_factory=list)  # the most valuable slipping away
    churn_total: int = 0
    collected: dict[str, int] = field(default_factory=dict)  # payments this week, minor units
    owed: dict[str, int] = field(default_factory=dict)  # what customers still owe now
    requests: list[ResponseTimes] = field(default_factory=list)  # service, per member
    period: Period | None = None  # this month, where the reader is
    targets: list[Attainment] = field(default_factory=list)  # the team's, this month

    @property
    def new_customers(self) -> int:
        return sum(r.new_customers for r in self.reps)

    @property
    def interactions(self) -> int:
        return sum(r.interactions for r in self.reps)

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.reps)


async def weekly_summary(session: AsyncSession, now: datetime, timezone: str = "UTC"
                         ) -> WeeklySummary:
    """The past 7 days for the whole team: new customers, contacts logged, and follow-ups
    overdue now, per member; and this month's targets (in `timezone`) so far."""
    since = now - timedelta(days=7)
    new = await _counts(session,
        select(Customer.owner_id, func.count()).where(Customer.created_at >= since,
                                                      Customer.merged_into_id.is_(None))
        .group_by(Customer.owner_id))
    logged = await _counts(session,
        select(Interaction.user_id, func.count()).where(Interaction.occurred_at >= since)
        .group_by(Interaction.user_id))
    overdue = await _counts(session,
        select(Reminder.user_id, func.count()).where(
            Reminder.kind == ReminderKind.FOLLOWUP, Reminder.status == ReminderStatus.OPEN,
            Reminder.due_at < now)
        .group_by(Reminder.user_id))
    reps = [RepWeek(user.display_name, int(new.get(user.id, 0)), int(logged.get(user.id, 0)),
                    int(overdue.get(user.id, 0)))
            for user in await active_members(session)]
    collected, owed = await team_collections(session, since)
    today = now.astimezone(ZoneInfo(timezone)).date()
    return WeeklySummary(since, reps, await churn_warnings(session, now),
                         await count_churn_warnings(session), collected, owed,
                         await response_times(session, None, since), month_of(today),
                         await attainment(session, month_of(today), today, timezone))


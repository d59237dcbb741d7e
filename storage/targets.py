"""Targets (业绩目标) and attainment: what each member is to achieve in a month or a
quarter, and how far they are.

A manager sets the targets of the team's reps, never their own; an admin sets anyone's
but their own (a manager's included). A target is per member, period and metric (set
again, it is replaced); the team's are the sums of its members', computed when read.
Periods are calendar months and quarters, bounded at midnight where the reader is (the
member's time zone, the team's by default); a period that has ended takes no new target
but stays readable, and one closes by itself: what was done is counted from the rows,
never frozen.

What counts as done, per member, within the period:
- revenue: purchases they logged, less what came back (returns);
- collected: money received that they recorded (payments, not returns or write-offs);
- new customers: records created in the period that they own (not merged away);
- contacts: calls, meetings, messages and emails they logged;
- deals won: their deals that were won in the period.

The pace is where a member should be by today at an even rate: the share of the period's
days gone, today included. Attainment is done ÷ target; ahead or behind is the difference
of the two shares, in points.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.errors import N_, AccessDenied, ValidationFailed
from storage.models import (
    MONEY_METRICS,
    Customer,
    Deal,
    DealStage,
    Interaction,
    InteractionKind,
    Payment,
    PaymentKind,
    Purchase,
    Role,
    Target,
    TargetMetric,
    User,
)
from storage.users import Actor, ensure_manager

CONTACT_KINDS = (InteractionKind.CALL, InteractionKind.MEETING, InteractionKind.MESSAGE,
                 InteractionKind.EMAIL)
GOAL_CEILING = 10**15  # minor units: far above any team's month, far below BIGINT
_LABEL = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    """A calendar month ("2026-12") or quarter ("2026-Q4")."""

    start: date
    end: date  # the day after its last

    @property
    def label(self) -> str:
        if (self.end.year * 12 + self.end.month) - (self.start.year * 12 + self.start.month) == 3:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def is_quarter(self) -> bool:
        return self.label[5] == "Q"

    def days(self) -> int:
        return (self.end - self.start).days

    def share_gone(self, today: date) -> float:
        """The share of its days gone by the end of `today` (0 before, 1 after)."""
        gone = (min(max(today, self.start - timedelta(days=1)), self.end - timedelta(days=1))
                - self.start).days + 1
        return max(0, gone) / self.days()

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """Its first and past-last moments in UTC, for the team's time zone."""
        zone = ZoneInfo(timezone)
        return (datetime.combine(self.start, time(), tzinfo=zone).astimezone(UTC),
                datetime.combine(self.end, time(), tzinfo=zone).astimezone(UTC))


def month(year: int, number: int) -> Period:
    last = calendar.monthrange(year, number)[1]
    return Period(date(year, number, 1), date(year, number, last) + timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    first = month(year, 3 * number - 2)
    return Period(first.start, month(year, 3 * number).end)


def period_named(label: str) -> Period:
    found = _LABEL.match(label)
    if found is None:
        raise ValidationFailed("period", N_("Not a period: {label}."), label=label)
    year = int(found.group(1))
    return month(year, int(found.group(2))) if found.group(2) else quarter(year,
                                                                         int(found.group(3)))


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class Goal:
    metric: TargetMetric
    amount: int  # minor units of `currency` for money, a count otherwise
    currency: str | None = None


@dataclass(frozen=True)
class Attainment:
    """One member's target for one metric, and how far they are."""

    user_id: int
    name: str
    metric: TargetMetric
    goal: int
    done: int
    currency: str | None
    pace: float  # the share of the period gone

    @property
    def share(self) -> float:
        return self.done / self.goal if self.goal else 0.0

    @property
    def ahead(self) -> float:
        """Points ahead of the even pace (negative: behind)."""
        return self.share - self.pace


async def set_targets(session: AsyncSession, actor: Actor, user_id: int, period: Period,
                      goals: Iterable[Goal], today: date) -> list[Target]:
    """The member's targets for the period, each replacing the one of its metric."""
    goals = list(goals)
    ensure_manager(actor)
    member = await session.get(User, user_id)
    if member is None or not member.active:
        raise ValidationFailed("member", N_("{name} is not an active member of the team."),
                               name=member.display_name if member else "?")
    if member.id == actor.user_id:
        raise AccessDenied(N_("Your own targets are set by whom you report to (an admin)."))
    if member.role != Role.REP and actor.role is not Role.ADMIN:
        raise AccessDenied(N_("A manager's targets are set by an admin."))
    if period.end <= today:
        raise ValidationFailed("period", N_("{period} has ended: a target is set for this "
                                            "period or a later one."), period=period.label)
    if not goals:
        raise ValidationFailed("target", N_("Say at least one target, e.g. 回款 50万 or "
                                            "new customers 10."))
    for goal in goals:
        if goal.amount <= 0:
            raise ValidationFailed("target", N_("A target must be more than zero."))
        if goal.amount > GOAL_CEILING:
            raise ValidationFailed("target", N_("That target is too large."))
    existing = {t.metric: t for t in await session.scalars(select(Target).where(
        Target.user_id == member.id, Target.period == period.label))}
    saved = []
    for goal in goals:
        target = existing.get(goal.metric) or Target(user_id=member.id, period=period.label,
                                                     metric=goal.metric)
        before = {"goal": target.goal, "currency": target.currency} if target.id else None
        target.goal, target.currency = goal.amount, goal.currency
        target.set_by_id, target.updated_at = actor.user_id, utcnow()
        session.add(target)
        audit.record(session, actor_id=actor.user_id, action="target", entity="user",
                     entity_id=member.id, before=before, after={
                         "period": period.label, "metric": goal.metric.value,
                         "goal": goal.amount, "currency": goal.currency})
        saved.append(target)
    await session.flush()
    return saved


async def attainment(session: AsyncSession, period: Period, today: date, timezone: str, *,
                     user_ids: list[int] | None = None) -> list[Attainment]:
    """Every target of the period (of `user_ids` only, when given), with what was done,
    in the order: member, then metric as TargetMetric lists them."""
    query = select(Target, User.display_name).join(User, User.id == Target.user_id).where(
        Target.period == period.label)
    if user_ids is not None:
        query = query.where(Target.user_id.in_(user_ids))
    rows = list(await session.execute(query))
    if not rows:
        return []
    members = sorted({target.user_id for target, _ in rows})
    since, until = period.bounds(timezone)
    done: dict[TargetMetric, dict[tuple[int, str | None], int]] = {}
    for metric in {TargetMetric(target.metric) for target, _ in rows}:
        done[metric] = await _done(session, metric, members, since, until)
    order = list(TargetMetric)
    pace = period.share_gone(today)
    found = [Attainment(target.user_id, name, TargetMetric(target.metric), target.goal,
                        done[TargetMetric(target.metric)].get(
                            (target.user_id, target.currency), 0),
                        target.currency, pace) for target, name in rows]
    return sorted(found, key=lambda a: (a.name, a.user_id, order.index(a.metric)))


async def _done(session: AsyncSession, metric: TargetMetric, members: list[int],
                since: datetime, until: datetime) -> dict[tuple[int, str | None], int]:
    """What each member did of `metric` in [since, until): by (member, currency)."""
    query: Select[*tuple[Any, ...]]
    if metric is TargetMetric.REVENUE:
        query = select(Purchase.user_id, Purchase.currency,
                       func.sum(Purchase.amount_minor - Purchase.returned_minor)).where(
            Purchase.user_id.in_(members), Purchase.occurred_at >= since,
            Purchase.occurred_at < until).group_by(Purchase.user_id, Purchase.currency)
    elif metric is TargetMetric.COLLECTED:
        query = select(Payment.user_id, Payment.currency, func.sum(Payment.amount_minor)).where(
            Payment.user_id.in_(members), Payment.kind == PaymentKind.PAYMENT,
            Payment.received_at >= since, Payment.received_at < until
        ).group_by(Payment.user_id, Payment.currency)
    elif metric is TargetMetric.NEW_CUSTOMERS:
        query = select(Customer.owner_id, null(), func.count()).where(
            Customer.owner_id.in_(members), Customer.merged_into_id.is_(None),
            Customer.created_at >= since, Customer.created_at < until
        ).group_by(Customer.owner_id)
    elif metric is TargetMetric.CONTACTS:
        query = select(Interaction.user_id, null(), func.count()).where(
            Interaction.user_id.in_(members), Interaction.kind.in_(CONTACT_KINDS),
            Interaction.occurred_at >= since, Interaction.occurred_at < until
        ).group_by(Interaction.user_id)
    else:
        query = select(Deal.owner_id, null(), func.count()).where(
            Deal.owner_id.in_(members), Deal.stage == DealStage.WON, Deal.closed_at >= since,
            Deal.closed_at < until).group_by(Deal.owner_id)
    found: dict[tuple[int, str | None], int] = {}
    for user_id, currency, total in await session.execute(query):
        if user_id is not None:
            key = (user_id, currency if metric in MONEY_METRICS else None)
            found[key] = found.get(key, 0) + int(total or 0)
    return found


def ranking(rows: list[Attainment]) -> list[tuple[str, float]]:
    """Members by their mean attainment over their targets, best first."""
    shares: dict[str, list[float]] = {}
    for row in rows:
        shares.setdefault(row.name, []).append(min(row.share, 2.0))  # one metric can't carry
    return sorted(((name, sum(s) / len(s)) for name, s in shares.items()),
                  key=lambda item: -item[1])


def team_totals(rows: list[Attainment]) -> list[Attainment]:
    """The team's: per metric (and currency), the sums of its members' goals and done."""
    totals: dict[tuple[TargetMetric, str | None], list[int]] = {}
    pace = rows[0].pace if rows else 0.0
    for row in rows:
        summed = totals.setdefault((row.metric, row.currency), [0, 0])
        summed[0] += row.goal
        summed[1] += row.done
    order = list(TargetMetric)
    return sorted((Attainment(0, "", metric, goal, done, currency, pace)
                   for (metric, currency), (goal, done) in totals.items()),
                  key=lambda a: order.index(a.metric))


async def periods_with_targets(session: AsyncSession, user_id: int | None = None,
                               limit: int = 12) -> list[str]:
    """The latest periods that have targets (of one member, when given), newest first."""
    query = select(Target.period).distinct()
    if user_id is not None:
        query = query.where(Target.user_id == user_id)
    return sorted(await session.scalars(query), reverse=True)[:limit]

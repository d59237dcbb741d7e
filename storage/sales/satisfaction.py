"""How satisfied customers are: a 1-5 score (and a comment) after a purchase or a closed
follow-up. A score of 1 or 2 puts a follow-up on the owner's list for the next working
day, and counts as a churn reason in the nightly assessment (storage/sales/value.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, ValidationFailed
from storage.models import Reminder, Satisfaction
from storage.reminders import schedule_followup
from storage.users import Actor
from storage.validation import clean_text

LOW = 2


@dataclass(frozen=True)
class Recorded:
    satisfaction: Satisfaction
    followup: Reminder | None


def next_working_day(now: datetime, timezone: str, hour: int) -> datetime:
    """The next Monday-to-Friday after today, at `hour` in the member's zone."""
    local = now.astimezone(ZoneInfo(timezone))
    day = local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=local.tzinfo)


async def record_score(session: AsyncSession, actor: Actor, customer_id: int, score: int, *,
                       comment: str | None = None, purchase_id: int | None = None,
                       default_hour: int = 9) -> Recorded:
    customer = await load_customer(session, customer_id, actor)
    if not 1 <= score <= 5:
        raise ValidationFailed("score", N_("A score is from 1 to 5."))
    entry = Satisfaction(customer_id=customer.id, user_id=actor.user_id, score=score,
                         comment=clean_text("outcome", comment), purchase_id=purchase_id,
                         created_at=utcnow())
    session.add(entry)
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="satisfaction", entity="customer",
                 entity_id=customer.id, after={"score": score, "comment": entry.comment})
    followup = None
    if score <= LOW:
        followup = await schedule_followup(
            session, actor, customer.id,
            next_working_day(utcnow(), actor.timezone, default_hour),
            f"{score}/5" + (f": {entry.comment}" if entry.comment else ""),
            for_user_id=customer.owner_id or actor.user_id)
    return Recorded(entry, followup)


async def add_comment(session: AsyncSession, actor: Actor, satisfaction_id: int, comment: str
                      ) -> Satisfaction:
    entry = await session.get(Satisfaction, satisfaction_id)
    if entry is None:
        raise ValidationFailed("score", N_("That score is gone."))
    await load_customer(session, entry.customer_id, actor)
    entry.comment = clean_text("outcome", comment, required=True)
    return entry


async def average(session: AsyncSession, customer_id: int | None = None
                  ) -> tuple[float | None, int]:
    """The mean score and how many there are: one customer's, or the whole team's."""
    query = select(func.avg(Satisfaction.score), func.count())
    if customer_id is not None:
        query = query.where(Satisfaction.customer_id == customer_id)
    mean, count = (await session.execute(query)).one()
    return (float(mean) if mean is not None else None), int(count)

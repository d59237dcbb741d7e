"""/campaigns after the window: the customers sent to against those held out (bought,
revenue, contacts) and the lift with its interval, in words; a holdout too small to tell
anything says so. The rows are written directly: the send itself is
tests/flow/test_campaigns.py's."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from storage.clock import utcnow
from storage.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Customer,
    Interaction,
    Purchase,
)
from tests.flow.conftest import ADMIN, Bot


async def a_campaign_with(bot: Bot, *, sent: int, held: int, sent_buyers: int,
                          held_buyers: int) -> None:
    """A campaign started 40 days ago (30-day window) and who bought within it."""
    await bot.chat(ADMIN, "Alice").say("/start")  # the admin is a member
    start = utcnow() - timedelta(days=40)
    async with bot.database.unit_of_work() as session:
        people = [Customer(name=f"Buyer {n}", owner_id=1) for n in range(sent + held)]
        session.add_all(people)
        campaign = Campaign(created_by_id=1, audience="all", subject="Winter offer",
                            body="Hi {{ name }}", status=CampaignStatus.DONE,
                            holdout_percent=10, window_days=30, created_at=start,
                            started_at=start, finished_at=start)
        session.add(campaign)
        await session.flush()
        for n, person in enumerate(people):
            holdout = n >= sent
            session.add(CampaignRecipient(
                campaign_id=campaign.id, customer_id=person.id, email=f"b{n}@example.com",
                group="holdout" if holdout else "send", status=None if holdout else "sent"))
            bought = (n - sent < held_buyers) if holdout else n < sent_buyers
            if bought:
                session.add(Purchase(customer_id=person.id, user_id=1, amount_minor=10_000,
                                     currency="CNY", occurred_at=start + timedelta(days=3),
                                     paid_minor=10_000))
        # after the window: not counted
        session.add(Purchase(customer_id=people[-1].id, user_id=1, amount_minor=99_999_00,
                             currency="CNY", occurred_at=start + timedelta(days=35),
                             paid_minor=0))
        session.add(Interaction(customer_id=people[0].id, user_id=1, kind="call",
                                occurred_at=start + timedelta(days=1), summary="called"))


async def test_a_measured_lift_in_words(bot: Bot, frozen_time: time_machine.Coordinates
                                        ) -> None:
    await a_campaign_with(bot, sent=360, held=40, sent_buyers=108, held_buyers=4)
    report = (await bot.chat(ADMIN, "Alice").say("/campaigns")).text
    assert "Winter offer" in report and "sent 360" in report and "held out 40" in report
    assert ("Sent: 360 customers, 108 bought (30.0%), revenue ¥10,800, 1 contacts logged"
            in report)
    assert "Held out: 40 customers, 4 bought (10.0%), revenue ¥400, 0 contacts" in report
    # Katz: ratio 3.0, interval 1.168 to 7.703 (statsmodels' figures)
    assert "Lift in the share who bought: +200% (95% interval +17% to +670%)" in report
    assert "A real effect: the interval does not hold zero." in report


async def test_an_interval_holding_zero_is_said_so(bot: Bot,
                                                   frozen_time: time_machine.Coordinates
                                                   ) -> None:
    await a_campaign_with(bot, sent=360, held=40, sent_buyers=72, held_buyers=4)
    report = (await bot.chat(ADMIN, "Alice").say("/campaigns")).text
    assert "+100% (95% interval -23% to +418%)" in report
    assert "Not distinguishable from no effect: the interval holds zero." in report


async def test_a_holdout_too_small_tells_nothing(bot: Bot,
                                                 frozen_time: time_machine.Coordinates
                                                 ) -> None:
    await a_campaign_with(bot, sent=90, held=10, sent_buyers=30, held_buyers=1)
    report = (await bot.chat(ADMIN, "Alice").say("/campaigns")).text
    assert "The holdout is too small to tell anything (10 customers" in report
    assert "Lift" not in report

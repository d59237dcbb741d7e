"""Last night's value job in the owner's digest: a customer slipping away with the reason
in words and one-tap answers, a tier suggestion confirmed with one tap; satisfaction in
one tap after a purchase, a low score bringing a follow-up for the next working day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from scheduler.value import recompute
from storage.clock import utcnow
from storage.models import AuditEntry, Customer, Reminder, Satisfaction
from storage.sales.purchases import PurchaseDraft, record_purchase
from storage.users import Profile, Visibility, actor_for, admit
from tests.flow.conftest import ADMIN, Bot


async def bought(bot: Bot, customer_id: int, days_ago: list[int], amount: int) -> None:
    async with bot.database.unit_of_work() as session:
        user = await admit(session, Profile(ADMIN, "Alice"), admin_ids=frozenset({ADMIN}),
                           timezone="Asia/Shanghai")
        assert user is not None
        actor = actor_for(user, Visibility.TEAM)
        for days in sorted(days_ago, reverse=True):
            await record_purchase(session, actor, PurchaseDraft(
                customer_id=customer_id, amount_minor=amount, currency="CNY",
                occurred_at=utcnow() - timedelta(days=days)),
                loyal_within=timedelta(days=180), ceiling_minor=10**12)


async def test_churn_warning_and_tier_suggestion_in_the_digest(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    chat = bot.chat(ADMIN, "Alice")
    for line in ("王小明 13812345678", "李雷 13900001111", "韩梅梅 13700002222"):
        await chat.press(await chat.say(f"/add {line}"), "Save")
    await bought(bot, 1, [250, 220, 190, 160, 130, 100], 1_000_000)  # monthly, stopped
    await bought(bot, 2, [60, 45, 30, 20, 10, 3], 5_000_000)  # buying more than ever
    await bought(bot, 3, [200], 100_000)
    assert await recompute(bot.database, bot.settings.sales) == 3

    assert await bot.sweep() == 0  # plans the digest
    frozen_time.move_to(datetime(2026, 11, 21, 0, 0, 10, tzinfo=UTC))  # 08:00 Saturday
    await bot.sweep()
    digest = chat.inbox()[-1]
    assert "Slipping away" in digest.text
    assert "王小明: no purchase for 100 days; usually every 30 days" in digest.text
    assert "Tier suggestions" in digest.text
    assert "李雷: normal → important (6 purchases in the last year, ¥300,000" in digest.text

    taken = await chat.press(digest, "⭐ 李雷 → important")
    assert "李雷 is important now" in taken.text
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, 2)
        assert customer is not None and customer.tier == "important"
        assert (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "tier_suggestion"))).one().after["tier"] == "important"

    assert "李雷: no purchase" not in digest.text and "韩梅梅" not in digest.text.split(
        "Slipping away")[1]
    await chat.press_data(digest, digest.button_data("Follow-up"))
    async with bot.database.unit_of_work() as session:
        [reminder] = (await session.scalars(select(Reminder).where(
            Reminder.customer_id == 1, Reminder.kind == "followup"))).all()
    assert reminder.due_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00

    await chat.press_data(digest, digest.button_data("30 days"))
    frozen_time.move_to(datetime(2026, 11, 22, 0, 0, 10, tzinfo=UTC))
    await bot.sweep()
    later = chat.inbox()[-1]
    assert "王小明: no purchase" not in later.text  # put off for 30 days
    assert "李雷: normal → important" not in later.text  # taken


async def test_one_tap_satisfaction_and_a_low_score_follow_up(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await chat.press(await chat.say("/add 王小明 13812345678"), "Save")
    saved = await chat.press(await chat.say("王小明 买了 2 台 X1 共 9600 元"), "Save")
    assert "How satisfied is 王小明?" in saved.text
    scored = await chat.press(saved, "2 🙁")
    assert "Satisfaction 2/5 saved" in scored.text
    assert "follow-up is set for 2026-11-23 09:00" in scored.text
    async with bot.database.unit_of_work() as session:
        [score] = (await session.scalars(select(Satisfaction))).all()
        assert score.score == 2 and score.purchase_id == 1
    ask = await chat.press(scored, "Add a comment")
    assert "What did the customer say" in ask.text
    assert "Comment saved" in (await chat.say("交货太慢")).text
    async with bot.database.unit_of_work() as session:
        [score] = (await session.scalars(select(Satisfaction))).all()
        assert score.comment == "交货太慢"
    card = await chat.say("/find 王小明")
    assert "Satisfaction 2.0/5 (1 scores)" in card.text

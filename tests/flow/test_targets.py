"""Targets and attainment: a manager sets a rep's in one line or through /team's buttons;
the rep's work counts; /me, /targets (totals and ranking), the morning digest and the
weekly summary show it with the pace; every wrong target is a clear answer, nothing saved.
Now is Friday 2026-11-20 10:00 in Shanghai: day 20 of November's 30 (pace 67%)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import AuditEntry, Target
from tests.flow.conftest import ADMIN, Bot, join


async def stored(bot: Bot) -> list[tuple[int, str, str, int, str | None]]:
    async with bot.database.unit_of_work() as session:
        return [(t.user_id, t.period, t.metric, t.goal, t.currency) for t in
                await session.scalars(select(Target).order_by(Target.id))]


async def test_a_managers_target_for_a_rep_and_the_reps_attainment(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    mia = await join(bot, 301, "Mia", role="manager")
    bob = await join(bot, 201, "Bob")
    saved = await mia.say("/target Bob 本月 回款 50万 新客户 2 拜访 10 赢单 1")
    assert "Targets saved." in saved.text and "2026-11 · 67% of the period gone" in saved.text
    assert "Collected ▱▱▱▱▱▱▱▱▱▱ ¥0 / ¥500,000 · 0% · behind pace 67%" in saved.text
    assert await stored(bot) == [(3, "2026-11", "collected", 50_000_000, "CNY"),
                                 (3, "2026-11", "new_customers", 2, None),
                                 (3, "2026-11", "contacts", 10, None),
                                 (3, "2026-11", "deals_won", 1, None)]

    await bob.press(await bob.say("/add 王小明 13812345678"), "Save")
    await bob.press(await bob.say("/log 王小明 打电话，要报价"), "Save")
    await bob.press(await bob.say("王小明 买了 20 台 X1 共 40 万"), "Save")
    await bob.press(await bob.say("王小明回款 40 万"), "Save")
    mine = await bob.say("/me")
    assert "Collected ▰▰▰▰▰▰▰▰▱▱ ¥400,000 / ¥500,000 · 80% · ahead of pace 13%" in mine.text
    assert "New customers ▰▰▰▰▰▱▱▱▱▱ 1 / 2 · 50% · behind pace 17%" in mine.text
    assert "Contacts ▰▱▱▱▱▱▱▱▱▱ 1 / 10 · 10% · behind pace 57%" in mine.text
    assert "Deals won ▱▱▱▱▱▱▱▱▱▱ 0 / 1" in mine.text

    # a second rep, for the team's totals and ranking
    await join(bot, 202, "Carol")
    await mia.say("/target Carol 回款 10万")
    team = await mia.say("/targets")
    assert "Targets of the team" in team.text and "👤 Bob" in team.text and "👤 Carol" in team.text
    assert "Collected ▰▰▰▰▰▰▰▱▱▱ ¥400,000 / ¥600,000 · 67% · on pace" in team.text
    assert "1. Bob 35%\n2. Carol 0%" in team.text  # mean of 80%, 50%, 10%, 0%
    assert "Targets of the team" in (await mia.say("/team")).text
    # a rep's /targets is their own
    assert "Carol" not in (await bob.say("/targets")).text

    # the morning digest and Monday's summary carry them
    assert await bot.sweep() >= 0
    frozen_time.move_to(datetime(2026, 11, 23, 0, 0, 10, tzinfo=UTC))  # Monday 08:00
    await bot.sweep()
    digest = [m for m in bob.inbox() if "Your day" in m.text][-1]
    assert "🎯 2026-11 · 77% of the period gone" in digest.text
    assert "Collected ▰▰▰▰▰▰▰▰▱▱ ¥400,000 / ¥500,000 · 80% · ahead of pace 3%" in digest.text
    weekly = [m for m in mia.inbox() if "Team week" in m.text][-1]
    assert "🎯 2026-11 · 77% of the period gone" in weekly.text
    assert "Ranking (mean attainment)\n1. Bob 35%\n2. Carol 0%" in weekly.text

    # the period closes by itself and stays readable
    frozen_time.move_to(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    assert "No targets for you this month or quarter." in (await bob.say("/me")).text
    assert "Earlier: 2026-11" in (await bob.say("/me")).text
    past = await bob.say("/me 11月")
    assert "2026-11 · 100% of the period gone" in past.text and "80%" in past.text


async def test_targets_through_buttons_from_team(bot: Bot) -> None:
    mia = await join(bot, 301, "Mia", role="manager")
    await join(bot, 201, "Bob")
    listing = await mia.say("/team")
    whose = await mia.press(listing, "🎯 Set targets")
    assert "Mia" not in whose.button_labels  # not their own
    when = await mia.press(whose, "Bob")
    asked = await mia.press(when, "Next month (2026-12)")
    assert "Targets of Bob for 2026-12" in asked.text
    saved = await mia.say("revenue $200k deals won 5")
    assert "Targets saved." in saved.text and "2026-12" in saved.text
    assert await stored(bot) == [(3, "2026-12", "revenue", 20_000_000, "USD"),
                                 (3, "2026-12", "deals_won", 5, None)]


async def test_every_wrong_target_is_a_clear_answer_and_nothing_is_saved(bot: Bot) -> None:
    alice = bot.chat(ADMIN, "Alice")
    mia = await join(bot, 301, "Mia", role="manager")
    bob = await join(bot, 201, "Bob")
    cases = [
        (bob, "/target Bob 回款 50万", "Only a manager or an admin can do that."),
        (mia, "/target Mia 回款 50万", "Your own targets are set by whom you report to"),
        (mia, "/target Alice 回款 50万", "A manager's targets are set by an admin."),
        (mia, "/target Bob 回款 0", "A target must be more than zero."),
        (mia, "/target Bob 回款 -5万", "A target must be more than zero."),
        (mia, "/target Bob 新客户 -3", "A target must be more than zero."),
        (mia, "/target Bob 2026-10 回款 5万", "2026-10 has ended"),
        (mia, "/target Bob 回款", "No number after “回款”"),
        (mia, "/target Bob 12月", "Say at least one target"),
        (mia, "/target Nobody 回款 5万", "Which member?"),
        (mia, "/target", "Set targets like this"),
        (mia, "/target Bob 回款 99999999999999万", "That target is too large."),
    ]
    for chat, line, said in cases:
        answer = await chat.say(line)
        assert said in answer.text, (line, answer.text)
    assert await stored(bot) == []
    # a member who left: named, and refused as such
    listing = await alice.say("/team")
    handover = await alice.press(listing, "🚫 Deactivate Bob")
    await alice.press(handover, "Mia")
    left = await mia.say("/target Bob 回款 5万")
    assert "Bob is not an active member of the team." in left.text
    assert await stored(bot) == []
    # an admin sets a manager's
    await alice.say("/target Mia 回款 100万")
    assert await stored(bot) == [(2, "2026-11", "collected", 100_000_000, "CNY")]
    async with bot.database.unit_of_work() as session:
        audited = list(await session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "user", AuditEntry.action == "target")))
    assert audited == ["target"]

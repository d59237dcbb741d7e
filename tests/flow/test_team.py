"""Team and roles: /team, handing over and sharing customers, leaving, the weekly summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import Customer, Reminder, User
from tests.flow.conftest import ADMIN, Bot, join


async def owners(bot: Bot) -> dict[str, int | None]:
    """Customer name: the owner's Telegram id."""
    async with bot.database.unit_of_work() as session:
        return {c.name: c.owner.telegram_id if c.owner else None
                for c in await session.scalars(select(Customer))}


async def users(bot: Bot) -> list[User]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(User)))


async def test_team_handover_share_and_deactivate(make_bot: Any) -> None:
    bot: Bot = await make_bot(visibility="own")
    admin = bot.chat(ADMIN, "Alice")
    manager = await join(bot, 301, "Mia", role="manager")
    rep = await join(bot, 201, "Bob")
    other = await join(bot, 202, "Carl")
    await rep.press(await rep.say("/add 王小明 13812345678"), "Save")
    await rep.press(await rep.say("/add 李雷 13900001111"), "Save")
    await rep.press(await rep.say("/remind 王小明 明天下午3点 发报价"), "Save")

    assert "Only a manager or an admin" in (await rep.say("/team")).text
    listing = await manager.say("/team")
    assert "Bob (rep): 2 customers, 1 open follow-ups, 0 overdue" in listing.text
    assert "Carl (rep): 0 customers" in listing.text

    # Carl cannot see Bob's customer until Bob shares it; the share can be taken back.
    assert "Nothing found" in (await other.say("王小明")).text
    assert "Owner" not in str((await rep.say("王小明")).buttons)  # reps hand nothing over
    card = await rep.say("王小明")
    choose = await rep.press(card, "Share")
    assert "Share 王小明 with whom?" in choose.text
    shared = await rep.press(choose, "Carl")
    assert "王小明" in shared.text
    assert "C-000001" in (await other.say("王小明")).text
    # Carl may not even open 李雷, let alone share it.
    forged = await other.press_data(await other.say("/help"), "c:2:share:202")
    assert "No customer C-000002 that you can see" in forged[-1].text
    await rep.press(await rep.press(await rep.say("王小明"), "Share"), "Carl")
    assert "Nothing found" in (await other.say("王小明")).text

    # A manager hands 李雷 to Carl.
    card = await manager.say("李雷")
    given = await manager.press(await manager.press(card, "Owner"), "Carl")
    assert "Owner: Carl" in given.text
    assert (await owners(bot))["李雷"] == 202

    # Bob leaves: his customer and follow-up go to Carl; he is out.
    listing = await manager.say("/team")
    ask = await manager.press(listing, "Deactivate Bob")
    assert "Bob's 1 customers and 1 open follow-ups" in ask.text
    done = await manager.press(ask, "Carl")
    assert "1 customers and 1 open follow-ups went to Carl" in done.text
    assert (await owners(bot)) == {"王小明": 202, "李雷": 202}
    async with bot.database.unit_of_work() as session:
        [followup] = await session.scalars(select(Reminder))
        bob = await session.scalar(select(User).where(User.telegram_id == 201))
    assert followup.user.telegram_id == 202 and bob is not None and not bob.active
    assert "not a member" in (await rep.say("王小明")).text.lower() or "201" in (
        rep.inbox()[-1].text)
    # Admins from the configuration file stay, and nobody deactivates themselves.
    ids = {u.telegram_id: u.id for u in await users(bot)}
    refused = await manager.press_data(done, f"tm:{ids[ADMIN]}:to:{ids[202]}")
    assert "cannot be deactivated" in refused[-1].text
    refused = await manager.press_data(done, f"tm:{ids[301]}:to:{ids[202]}")
    assert "Only an admin can deactivate a manager" in refused[-1].text or (
        "cannot deactivate yourself" in refused[-1].text)
    assert "Something went wrong" not in "\n".join(m.text for m in admin.inbox())


async def test_managers_get_a_weekly_summary_on_monday(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    manager = await join(bot, 301, "Mia", role="manager")
    rep = await join(bot, 201, "Bob")
    await rep.press(await rep.say("/add 王小明 13812345678"), "Save")
    await rep.press(await rep.say("/log 王小明 打电话，要报价"), "Save")
    await rep.press(await rep.say("/remind 王小明 明天上午10点 发报价"), "Save")
    await rep.press(await rep.say("王小明 买了 2 台 X1 共 9600 元"), "Save")
    await rep.press(await rep.say("王小明回款 3000 元"), "Save")
    await rep.press(await rep.say("王小明反馈 X1 漏油，明天前上门处理"), "Save")
    frozen_time.shift(timedelta(hours=2))
    await rep.press(rep.inbox()[-1], "Start")  # first response 2 h after it was opened
    await bot.sweep()
    frozen_time.move_to(datetime(2026, 11, 23, 0, 0, 10, tzinfo=UTC))  # Monday 08:00 local
    await bot.sweep()
    weekly = [m for m in manager.inbox() if "Team week" in m.text]
    assert len(weekly) == 1
    # The week's picture: purchases per month; the funnel has no deals, so no picture.
    assert [m.text for m in manager.inbox() if m.photo] == ["Purchases per month"]
    assert "New customers: 1 · Contacts logged: 4 · Follow-ups overdue: 1" in weekly[0].text
    assert "Bob: 1 new, 4 contacts, 1 overdue" in weekly[0].text  # the request too
    assert "Collected this week: ¥3,000 · still owed: ¥6,600" in weekly[0].text
    assert "Bob: 1 opened, 0 resolved; first response 2 h, resolution — (medians)" \
        in weekly[0].text
    assert not [m for m in rep.inbox() if "Team week" in m.text]
    await bot.sweep()
    assert len([m for m in manager.inbox() if "Team week" in m.text]) == 1

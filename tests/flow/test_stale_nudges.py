"""Stale-record nudges: gone quiet by tier, unverified for months, a daily cap, the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import Customer, Interaction, Reminder, ReminderStatus
from tests.conftest import NOW
from tests.flow.conftest import ADMIN, Bot, join
from tests.harness import Chat


async def add(chat: Chat, line: str) -> int:
    """Adds a customer through the chat; returns its id."""
    await chat.press(await chat.say(f"/add {line}"), "Save")
    async with chat_bot_db(chat) as session:
        return int(await session.scalar(select(Customer.id).order_by(Customer.id.desc())) or 0)


def chat_bot_db(chat: Chat) -> Any:
    return chat.app.bot_data["runtime"].database.unit_of_work()


async def age(bot: Bot, customer_id: int, *, days_quiet: int | None = None,
              days_unverified: int | None = None, tier: str | None = None) -> None:
    """As if the last contact / confirmation was that many days before now."""
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        if days_quiet is not None:
            customer.last_contact_at = customer.quiet_since = NOW - timedelta(days=days_quiet)
        if days_unverified is not None:
            customer.last_verified_at = customer.unverified_since = (
                NOW - timedelta(days=days_unverified))
        if tier is not None:
            customer.tier = tier


async def nudges_of(bot: Bot) -> list[Reminder]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(
            select(Reminder).where(Reminder.kind.in_(("quiet", "unverified")))
            .order_by(Reminder.id)))


async def test_an_important_customer_quiet_for_31_days_gets_one_nudge(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    li = await add(chat, "李雷 13900001111 Acme")
    han = await add(chat, "韩梅梅 13900002222")
    zhang = await add(chat, "张伟 13900003333")
    await age(bot, li, days_quiet=31, tier="important")
    await age(bot, han, days_quiet=29, tier="important")  # not yet
    await age(bot, zhang, days_quiet=31)  # normal tier: 90 days

    assert await bot.sweep() == 1
    nudge = chat.inbox()[-1]
    assert "Gone quiet" in nudge.text and "李雷" in nudge.text
    assert "no contact since 2026-10-20" in nudge.text
    assert await bot.sweep() == 0  # never twice for one silence
    frozen_time.shift(timedelta(hours=1))
    assert await bot.sweep() == 0
    assert len(await nudges_of(bot)) == 1

    reviewed = await chat.press(nudge, "Mark reviewed")
    assert "marked as reviewed" in reviewed.text
    [row] = await nudges_of(bot)
    assert row.status == ReminderStatus.DONE
    # The clock starts again: quiet for another 30 days means another nudge.
    frozen_time.shift(timedelta(days=29))
    assert await bot.sweep() == 1  # 韩梅梅's 30 days are up by now; 李雷's are not
    assert "韩梅梅" in chat.inbox()[-1].text
    frozen_time.shift(timedelta(days=2))
    assert await bot.sweep() == 1
    again = chat.inbox()[-1]
    assert "李雷" in again.text

    snoozed = await chat.press(again, "Snooze a week")
    assert "in a week" in snoozed.text
    frozen_time.shift(timedelta(days=6, hours=23))
    assert await bot.sweep() == 0
    frozen_time.shift(timedelta(hours=2))
    assert await bot.sweep() == 1
    back = chat.inbox()[-1]
    assert "Gone quiet" in back.text and "李雷" in back.text

    # Log contact: a reply to the prompt logs against the customer and settles the nudge.
    prompt = await chat.press(back, "Log contact")
    card = await chat.reply(prompt, "打电话聊了新报价")
    done = await chat.press(card, "Save")
    assert "Logged" in done.text
    async with bot.database.unit_of_work() as session:
        logged = await session.scalar(select(Interaction).where(Interaction.customer_id == li))
        customer = await session.get(Customer, li)
    assert logged is not None and logged.summary == "打电话聊了新报价"
    assert customer is not None and customer.quiet_since is not None
    assert [n.status for n in await nudges_of(bot) if n.customer_id == li] == ["done"] * 2


async def test_set_follow_up_from_a_quiet_nudge(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    li = await add(chat, "李雷 13900001111")
    await age(bot, li, days_quiet=15, tier="core")
    assert await bot.sweep() == 1
    asked = await chat.press(chat.inbox()[-1], "Set follow-up")
    assert "When should I remind you about 李雷" in asked.text
    assert "could not read" in (await chat.say("whenever")).text
    answer = await chat.say("下周一上午10点")
    assert "Follow-up set for 2026-11-23 10:00" in answer.text
    async with bot.database.unit_of_work() as session:
        rows = list(await session.scalars(select(Reminder).order_by(Reminder.id)))
    assert [(r.kind, r.status) for r in rows] == [("quiet", "done"), ("followup", "open")]
    assert rows[1].customer_id == li


async def test_a_record_unverified_for_181_days_asks_to_confirm(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    li = await add(chat, "李雷 13900001111 li@example.com Acme")
    han = await add(chat, "韩梅梅 13900002222")
    await age(bot, li, days_unverified=181, days_quiet=1)
    await age(bot, han, days_unverified=179, days_quiet=1)
    assert await bot.sweep() == 1
    ask = chat.inbox()[-1]
    assert "Are these still right?" in ask.text and "李雷" in ask.text
    assert "+86 139 0000 1111" in ask.text and "li@example.com" in ask.text
    assert "Acme" in ask.text
    for field in ("phone", "email", "company", "title"):
        assert ask.button_data(f"✏️ {field}") == f"c:{li}:f:{field}"

    confirmed = await chat.press(ask, "All correct")
    assert "details are confirmed" in confirmed.text
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, li)
    assert customer is not None and customer.last_verified_at is not None
    assert customer.last_verified_at - NOW < timedelta(seconds=5)
    assert [n.status for n in await nudges_of(bot)] == [ReminderStatus.DONE]

    # Two days later 韩梅梅 is due too; fixing her phone from the nudge settles it.
    frozen_time.shift(timedelta(days=2))
    assert await bot.sweep() == 1
    ask = chat.inbox()[-1]
    assert "韩梅梅" in ask.text
    prompt = await chat.press(ask, "✏️ phone")
    assert "phone" in prompt.text.lower()
    card = await chat.say("13900009999")
    assert "139 0000 9999" in card.text
    statuses = [n.status for n in await nudges_of(bot)]
    assert statuses == [ReminderStatus.DONE, ReminderStatus.DONE]


async def test_at_most_the_daily_number_and_never_for_archived_records(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(reminders={"nudges_per_day": 3})
    chat = bot.chat(ADMIN, "Alice")
    names = ["赵敏", "钱多", "孙立", "周杰", "吴磊", "郑爽"]
    ids = [await add(chat, f"{name} 1390000{n:04d}") for n, name in enumerate(names)]
    for n, customer_id in enumerate(ids):
        await age(bot, customer_id, days_quiet=100 + n)  # the oldest silence comes first
    archived = await add(chat, "欧阳旧 13911112222")
    await age(bot, archived, days_quiet=400)
    archive_card = await chat.say("欧阳旧")
    await chat.press(archive_card, "Archive")

    assert await bot.sweep() == 3
    sent = {m.text.split("·")[1].split()[0] for m in chat.inbox()[-3:]}
    assert sent == set(names[3:])  # sent side by side, so in any order
    frozen_time.shift(timedelta(hours=5))
    assert await bot.sweep() == 0  # today's three are out
    frozen_time.move_to(datetime(2026, 11, 21, 1, 0, tzinfo=UTC))  # 09:00 the next day
    assert await bot.sweep() == 3
    frozen_time.shift(timedelta(days=1))
    assert await bot.sweep() == 0
    nudged = {n.customer_id for n in await nudges_of(bot)}
    assert nudged == set(ids)


async def test_nudges_wait_for_the_digest_when_there_is_one(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    chat = bot.chat(ADMIN, "Alice")
    li = await add(chat, "李雷 13900001111")
    han = await add(chat, "韩梅梅 13900002222")
    await age(bot, li, days_quiet=95)
    await age(bot, han, days_unverified=200, days_quiet=1)
    assert await bot.sweep() == 0  # created, but held for tomorrow's digest
    assert len(await nudges_of(bot)) == 2
    frozen_time.move_to(datetime(2026, 11, 21, 0, 0, 10, tzinfo=UTC))  # 08:00 local
    assert await bot.sweep() == 1
    digest = chat.inbox()[-1]
    assert "Needs a look" in digest.text
    assert "李雷: no contact since" in digest.text
    assert "韩梅梅: details last confirmed 2026-05-04" in digest.text
    opened = await chat.press(digest, "韩梅梅")
    assert "Are these still right?" in opened.text
    frozen_time.move_to(datetime(2026, 11, 22, 0, 0, 10, tzinfo=UTC))
    await bot.sweep()
    assert "Needs a look" not in chat.inbox()[-1].text  # shown once, not every day


async def test_nudges_list_and_a_late_archive(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    assert "every record is fresh" in (await chat.say("/nudges")).text
    li = await add(chat, "李雷 13900001111")
    await age(bot, li, days_quiet=95)
    listing = await chat.say("/nudges")  # scans this member now
    assert "need a look (1)" in listing.text
    opened = await chat.press(listing, "李雷")
    assert "Gone quiet" in opened.text
    async with bot.database.unit_of_work() as session:
        [nudge] = await nudges_of(bot)
        row = await session.get(Reminder, nudge.id)
        assert row is not None
        row.send_after = NOW  # as if due to go out, but the record is archived first
    await chat.press(await chat.say("李雷"), "Archive")
    assert await bot.sweep() == 0
    [nudge] = await nudges_of(bot)
    assert nudge.status == ReminderStatus.CANCELLED


async def test_handing_a_customer_over_moves_its_nudge_to_the_new_owner(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    alice = bot.chat(ADMIN, "Alice")
    bob = await join(bot, 201, "Bob")
    li = await add(alice, "李雷 13900001111")
    await age(bot, li, days_quiet=95)
    assert await bot.sweep() == 1
    assert "Gone quiet" in alice.inbox()[-1].text
    card = await alice.say("李雷")
    await alice.press(await alice.press(card, "Owner"), "Bob")
    assert [n.status for n in await nudges_of(bot)] == [ReminderStatus.CANCELLED]
    frozen_time.shift(timedelta(minutes=16))  # the next scan: the stopped clock runs again
    assert await bot.sweep() == 1
    assert "Gone quiet · 李雷" in bob.inbox()[-1].text
    # Archived, the record's open nudge goes too.
    await alice.press(await alice.say("李雷"), "Archive")
    assert [n.status for n in await nudges_of(bot)] == [ReminderStatus.CANCELLED] * 2

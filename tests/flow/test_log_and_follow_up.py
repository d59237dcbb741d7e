"""Log a call in one message, get the follow-up at its minute, snooze it, finish it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import Customer, Interaction, Reminder
from tests.flow.conftest import ADMIN, Bot
from tests.harness import Chat


async def add_wang(chat: Chat, save: str = "Save") -> None:
    card = await chat.say("/add 王小明 138 1234 5678 ACME 上海")
    await chat.press(card, save)


async def reminders_of(bot: Bot) -> list[Reminder]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Reminder).order_by(Reminder.id)))


async def interactions_of(bot: Bot) -> list[Interaction]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Interaction).order_by(Interaction.id)))


async def test_chinese_log_remind_snooze_done(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add_wang(chat, "保存")

    card = await chat.say("和王小明通话，要报价，下周五下午3点跟进")
    assert "王小明" in card.text and "C-000001" in card.text
    assert "2026-11-27 15:00" in card.text
    assert await interactions_of(bot) == []  # nothing saved before the tap

    saved = await chat.press(card, "保存")
    assert "2026-11-27 15:00" in saved.text
    [entry] = await interactions_of(bot)
    assert entry.kind == "call" and entry.summary.startswith("和王小明通话")
    [reminder] = await reminders_of(bot)
    assert reminder.due_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, 1)
        assert customer is not None and customer.last_contact_at is not None

    assert await bot.sweep() == 0  # not due yet
    frozen_time.move_to(datetime(2026, 11, 27, 7, 0, 5, tzinfo=UTC))
    assert await bot.sweep() == 1
    due = chat.inbox()[-1]
    assert "王小明" in due.text and "要报价" in due.text and "2026-11-27 15:00" in due.text
    assert await bot.sweep() == 0  # sent once, not again

    snoozed = await chat.press(due, "稍后 1 小时")
    assert "16:00" in snoozed.text
    frozen_time.move_to(datetime(2026, 11, 27, 8, 0, 30, tzinfo=UTC))
    assert await bot.sweep() == 1
    again = chat.inbox()[-1]
    assert "王小明" in again.text

    ask = await chat.press(again, "完成")
    assert "结果" in ask.text
    done = await chat.say("客户同意下单")
    assert "王小明" in done.text
    [reminder] = await reminders_of(bot)
    assert reminder.status == "done"
    outcome = (await interactions_of(bot))[-1]
    assert outcome.outcome == "客户同意下单"

    # Done pressed a second time: a clear answer, nothing changes.
    await chat.press_data(again, again.button_data("完成"))
    assert any("已经完成" in a for a in chat.alerts()) or "已经完成" in chat.inbox()[-1].text
    assert len(await interactions_of(bot)) == 2


async def test_english_log_with_past_and_future_dates(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    card = await chat.say("/add Li Wei 13900001111 Acme")
    await chat.press(card, "Save")

    card = await chat.say(
        "met Li Wei at Acme yesterday 4pm, wants a demo, follow up next Friday 3pm")
    assert "Meeting" in card.text and "Li Wei" in card.text
    assert "2026-11-19 16:00" in card.text and "2026-11-27 15:00" in card.text
    await chat.press(card, "Save")
    [entry] = await interactions_of(bot)
    assert entry.kind == "meeting"
    assert entry.occurred_at == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)

    frozen_time.move_to(datetime(2026, 11, 27, 7, 1, tzinfo=UTC))
    await bot.sweep()
    due = chat.inbox()[-1]
    tomorrow = await chat.press(due, "Tomorrow 9:00")
    assert "2026-11-28 09:00" in tomorrow.text
    [reminder] = await reminders_of(bot)
    assert reminder.due_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


async def test_remind_refuses_a_past_time_and_change_date_asks_again(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    card = await chat.say("/remind 王小明 昨天下午3点 发报价")
    assert "2026-11-19 15:00" in card.text
    refused = await chat.press(card, "Save")
    assert "already passed" in refused.text
    assert await reminders_of(bot) == []

    card = await chat.say("/remind wxm tomorrow 10am send the quote")
    ask = await chat.press(card, "Change date")
    assert "When should I remind you" in ask.text
    assert "could not read a date" in (await chat.say("next blursday")).text
    assert "already passed" in (await chat.say("yesterday 9am")).text
    shown = await chat.say("next Monday 10am")
    assert "2026-11-23 10:00" in shown.text
    await chat.press(shown, "Save")
    [reminder] = await reminders_of(bot)
    assert reminder.due_at == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert "send the quote" in reminder.text


async def test_unknown_and_ambiguous_customers_are_asked_for(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    for line in ("/add 王小明 13812345678", "/add 王小红 13812345679"):
        await chat.press(await chat.say(line), "Save")
    ask = await chat.say("拜访了王总，明天再打电话")
    assert "Which customer?" in ask.text
    card = await chat.press(ask, "王小红 (C-000002)")
    assert "王小红" in card.text and "2026-11-21 09:00" in card.text

    nobody = await chat.say("called Zhang about the order")
    assert "Which customer is this about?" in nobody.text
    assert "Nobody found" in (await chat.say("zzzz")).text
    card = await chat.say("wxm")
    assert "王小明" in card.text
    await chat.press(card, "Save")
    assert len(await interactions_of(bot)) == 1


async def test_followups_list_and_timeline(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    for line in ("/log 王小明 打电话，要报价，明天下午3点跟进", "/log wxm 微信发了报价单"):
        await chat.press(await chat.say(line), "Save")
    listing = await chat.say("/followups")
    assert "Today" not in listing.text and "This week" in listing.text
    assert "王小明" in listing.text
    card = await chat.say("wxm")
    timeline = await chat.press(card, "Timeline")
    assert "Message" in timeline.text and "Call" in timeline.text
    assert "(1-2 of 2)" in timeline.text


async def test_daily_digest_at_the_local_hour_lists_due_and_quiet(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    await chat.press(await chat.say("/remind wxm tomorrow 3pm send the quote"), "Save")
    await chat.press(await chat.say("/add 李雷 13900001111"), "Save")
    async with bot.database.unit_of_work() as session:
        quiet = await session.get(Customer, 2)
        assert quiet is not None
        quiet.last_contact_at = quiet.quiet_since = datetime(2026, 8, 1, tzinfo=UTC)  # > 90 d

    assert await bot.sweep() == 0  # plans tomorrow's digest; nothing due
    frozen_time.move_to(datetime(2026, 11, 20, 23, 59, tzinfo=UTC))  # 07:59 in Shanghai
    assert await bot.sweep() == 0
    frozen_time.move_to(datetime(2026, 11, 21, 0, 0, 10, tzinfo=UTC))  # 08:00
    assert await bot.sweep() == 1
    digest = chat.inbox()[-1]
    assert "Your day" in digest.text
    assert "Today" in digest.text and "send the quote" in digest.text
    assert "Needs a look" in digest.text and "王小明" not in digest.text.split("Needs a look")[1]
    assert "李雷</b>: no contact since 2026-08-01" in digest.html
    assert await bot.sweep() == 0  # one a day
    frozen_time.move_to(datetime(2026, 11, 22, 0, 0, 10, tzinfo=UTC))
    assert await bot.sweep() == 2  # the next day's digest, and the follow-up, late
    texts = [m.text for m in chat.inbox()[-2:]]
    assert any("Overdue" in t and "send the quote" in t for t in texts)
    assert any("Late:" in t for t in texts)


async def test_reply_to_a_card_with_text_or_a_voice_note_logs_against_it(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    card = await chat.say("wxm")
    draft = await chat.reply(card, "客户要样品")
    assert "📝 Note · 王小明" in draft.text
    await chat.press(draft, "Save")

    draft = await chat.reply_voice(card, b"OggS voice bytes")
    assert "📞 Call · 王小明" in draft.text
    await chat.press(draft, "Save")
    [note, voice] = await interactions_of(bot)
    assert note.summary == "客户要样品" and note.attachment_kind is None
    assert voice.attachment_kind == "voice" and voice.attachment_file_id

    timeline = await chat.press(await chat.say("wxm"), "Timeline")
    assert f"/file_{voice.id}" in timeline.text
    replayed = await chat.say(f"/file_{voice.id}")
    assert replayed.document is not None
    assert chat.api.files[replayed.document["file_id"]][1] == b"OggS voice bytes"


async def test_a_sentence_in_one_script_logs_against_a_name_in_the_other(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    for line in ("/add 王小明 13812345678 ACME", "/add Li Wei 13900001111 Initech"):
        await chat.press(await chat.say(line), "Save")
    card = await chat.say("met Xiaoming Wang at the fair, follow up next Friday")
    assert "Meeting" in card.text and "王小明" in card.text
    await chat.press(card, "Save")
    card = await chat.say("Mr Wang from ACME called, wants a quote")
    assert "王小明" in card.text
    await chat.press(card, "Save")
    card = await chat.say("和李伟通话，要报价")
    assert "Li Wei" in card.text
    await chat.press(card, "Save")
    assert [e.customer_id for e in await interactions_of(bot)] == [1, 1, 2]


async def test_a_passed_follow_up_time_and_a_deadline_are_shown_on_the_card(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    frozen_time.move_to(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai

    card = await chat.say("called 王小明, follow up tonight at 8")
    assert "Follow-up: 2026-11-21 20:00" in card.text
    assert "2026-11-20 20:00 had already passed, so it is the next one." in card.text
    await chat.press(card, "Save")
    [reminder] = await reminders_of(bot)
    assert reminder.due_at == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    card = await chat.say("王小明电话：月底前给答复，明天上午10点再打电话")
    assert "2026-11-21 10:00" in card.text and "Deadline: 2026-11-30 09:00" in card.text
    assert "had already passed" not in card.text


async def test_an_ambiguous_next_friday_offers_the_other_one_with_one_tap(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    frozen_time.move_to(datetime(2026, 11, 19, 2, 0, tzinfo=UTC))  # Thursday 10:00 in Shanghai
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    card = await chat.say("called 王小明, follow up next Friday 3pm")
    assert "Follow-up: 2026-11-20 15:00" in card.text
    assert "Or 2026-11-27 15:00? One tap below." in card.text

    other = await chat.press(card, "🔁 2026-11-27 15:00")
    assert "Follow-up: 2026-11-27 15:00" in other.text
    assert "Or 2026-11-20 15:00?" in other.text  # and back again, if that was meant
    await chat.press(other, "Save")
    [reminder] = await reminders_of(bot)
    assert reminder.due_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


async def test_where_both_date_orders_are_written_12_8_offers_the_other_reading(
    make_bot: Callable[..., Any], frozen_time: time_machine.Coordinates
) -> None:
    """A Canadian team writes 12/8 both ways: the card reads it month first and offers
    the 12th of August with one tap, instead of guessing silently."""
    bot: Bot = await make_bot(default_region="CA")
    frozen_time.move_to(datetime(2026, 11, 19, 2, 0, tzinfo=UTC))
    chat = bot.chat(ADMIN, "Alice")
    await add_wang(chat)
    card = await chat.say("called 王小明, follow up 12/8 3pm")
    assert "Follow-up: 2026-12-08 15:00" in card.text
    assert "Or 2027-08-12 15:00? One tap below." in card.text
    other = await chat.press(card, "🔁 2027-08-12 15:00")
    assert "Follow-up: 2027-08-12 15:00" in other.text

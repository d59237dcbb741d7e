"""Money collected (回款) in one message and one tap: applied to the oldest purchase with
something owed, partly or in full; more than is owed asked about; nothing owed refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import Installment, Interaction, Payment, Purchase
from tests.flow.conftest import ADMIN, Bot
from tests.flow.test_purchases import add
from tests.harness import Chat


async def rows(bot: Bot) -> tuple[list[Purchase], list[Payment]]:
    async with bot.database.unit_of_work() as session:
        bought = list(await session.scalars(select(Purchase).order_by(Purchase.id)))
        paid = list(await session.scalars(select(Payment).order_by(Payment.id)))
    return bought, paid


async def buy(chat: Chat, sentence: str, save: str) -> None:
    await chat.press(await chat.say(sentence), save)


async def test_a_payment_pays_the_oldest_purchase_first_then_the_next(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add(chat, "王小明 138 1234 5678 ACME 上海", "保存")
    await buy(chat, "王小明 买了 20 台 X1，共 30 万", "保存")
    await buy(chat, "王小明 下单 5 套 Y2，共 5 万", "保存")

    card = await chat.say("王总回款 10 万")  # "王总": the surname and a title
    assert "回款" in card.text and "王小明" in card.text and "¥100,000" in card.text
    assert "X1 × 20" in card.text and "¥300,000 → ¥200,000" in card.text
    assert "本次之后仍欠：¥250,000" in card.text
    assert (await rows(bot))[1] == []  # nothing before the tap
    saved = await chat.press(card, "保存")
    assert "已记录 王小明 回款 ¥100,000" in saved.text and "部分回款" in saved.text
    bought, paid = await rows(bot)
    assert [p.paid_minor for p in bought] == [10_000_000, 0]
    assert [(p.purchase_id, p.amount_minor) for p in paid] == [(bought[0].id, 10_000_000)]

    # 22万 pays the rest of the first (20万) and 2万 of the second
    saved = await chat.press(await chat.say("收到王小明货款 22 万"), "保存")
    bought, paid = await rows(bot)
    assert [p.paid_minor for p in bought] == [30_000_000, 2_000_000]
    assert [(p.purchase_id, p.amount_minor) for p in paid][1:] == [
        (bought[0].id, 20_000_000), (bought[1].id, 2_000_000)]
    assert "已回款" in saved.text
    async with bot.database.unit_of_work() as session:
        entries = list(await session.scalars(select(Interaction).where(
            Interaction.kind == "payment").order_by(Interaction.id)))
    assert [e.summary for e in entries] == ["王总回款 10 万", "收到王小明货款 22 万"]
    assert {p.interaction_id for p in paid[1:]} == {entries[1].id}  # one entry, two rows
    assert "待回款：¥30,000" in (await chat.say("/find 王小明")).text


async def test_more_than_owed_is_asked_and_nothing_owed_is_refused(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    card = await chat.say("John Smith paid $100")
    assert "nothing outstanding in USD" in card.text
    assert not any("Save" in label for label in card.button_labels)
    await chat.press(card, "Cancel")

    await buy(chat, "John Smith bought 20 X1 for $4,800", "Save")
    card = await chat.say("John Smith paid $5,000")  # a payment, not a purchase
    assert "Payment received" in card.text and "$200 more than is owed" in card.text
    sure = await chat.press(card, "Yes, keep the rest as credit")
    assert "$200 kept as credit" in sure.text
    bought, paid = await rows(bot)
    assert bought[0].paid_minor == 480_000
    assert [(p.purchase_id, p.amount_minor) for p in paid] == [(bought[0].id, 480_000),
                                                               (None, 20_000)]
    card = await chat.say("John Smith paid ¥1,000")  # another currency: never converted
    assert "nothing outstanding in CNY" in card.text


async def test_a_purchase_with_a_plan_in_one_message_and_payments_by_installment(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    """The purchase's own total is read before the plan (共 30 万, not the last 10万);
    a payment pays the installment due first; a partial one leaves the right amount."""
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add(chat, "王小明 138 1234 5678 ACME 上海", "保存")
    card = await chat.say("王小明 买了 3 台 X1，共 30 万，分三期：12月15日 10万，1月15日 10万，"
                          "2月15日 10万")
    assert "¥300,000" in card.text and "回款计划：2026-12-15" in card.text
    assert "2026-12-15 ¥100,000 · 2027-01-15 ¥100,000 · 2027-02-15 ¥100,000" in card.text
    await chat.press(card, "保存")
    async with bot.database.unit_of_work() as session:
        plan = list(await session.scalars(select(Installment).order_by(Installment.due_on)))
    assert [(i.due_on.isoformat(), i.amount_minor) for i in plan] == [
        ("2026-12-15", 10_000_000), ("2027-01-15", 10_000_000), ("2027-02-15", 10_000_000)]

    await chat.press(await chat.say("王总回款 12 万"), "保存")  # the first, and 2万 of the next
    async with bot.database.unit_of_work() as session:
        plan = list(await session.scalars(select(Installment).order_by(Installment.due_on)))
        paid = list(await session.scalars(select(Payment).order_by(Payment.id)))
    assert [i.paid_minor for i in plan] == [10_000_000, 2_000_000, 0]
    assert [(p.installment_id, p.amount_minor) for p in paid] == [
        (plan[0].id, 10_000_000), (plan[1].id, 2_000_000)]
    assert "待回款：¥180,000" in (await chat.say("/find 王小明")).text


async def test_a_plan_that_does_not_add_up_is_shown_and_saved_without(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    card = await chat.say("John Smith bought 2 seats for $1,000, installments: $500 on Dec 20, "
                          "$400 on Jan 20")
    assert "The plan adds up to $900, not the amount" in card.text
    await chat.press(card, "Save without the plan")
    bought, _ = await rows(bot)
    assert bought[0].amount_minor == 100_000
    async with bot.database.unit_of_work() as session:
        assert list(await session.scalars(select(Installment))) == []


async def test_receivables_by_how_late_and_per_owner_for_a_manager(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    """Aging buckets by days past due: an installment on its day, a purchase without a plan
    on the day it was bought."""
    chat = bot.chat(ADMIN, "Alice")
    assert "Nothing is owed" in (await chat.say("/receivables")).text
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await buy(chat, "John Smith bought 20 X1 for $4,800", "Save")  # due today: 0-30
    await buy(chat, "John Smith bought 2 seats for $1,000, installments: $500 on Dec 20, "
                    "$500 on Jan 20", "Save")
    text = (await chat.say("/receivables")).text
    assert "$5,800" in text and "0–30 days late: $4,800" in text
    assert "not yet due: $1,000" in text
    assert "This month: $0 of $4,800 due collected (0%)" in text
    frozen_time.shift(timedelta(days=45))  # the first installment is now 15 days late
    await chat.press(await chat.say("John Smith paid $4,800"), "Save")
    text = (await chat.say("/receivables")).text
    assert "$1,000" in text and "0–30 days late: $500" in text and "not yet due: $500" in text
    assert "$4,800" not in text
    assert "This month: $0 of $500 due collected (0%)" in text


async def test_an_installment_reminds_its_owner_on_its_day_and_one_tap_records_it(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await buy(chat, "John Smith bought 2 seats for $1,000, installments: $500 on Dec 20, "
                    "$500 on Jan 20", "Save")
    assert await bot.sweep() == 0  # not yet its day
    frozen_time.move_to(datetime(2026, 12, 20, 1, 5, tzinfo=UTC))  # 09:05 in Shanghai
    assert await bot.sweep() == 1
    reminder = chat.inbox()[-1]
    assert "Money to collect" in reminder.text and "John Smith" in reminder.text
    assert "Installment 1/2" in reminder.text and "$500 due 2026-12-20" in reminder.text
    done = await chat.press(reminder, "Received")
    assert "Received $500: installment of 2026-12-20 paid." in done.text
    async with bot.database.unit_of_work() as session:
        plan = list(await session.scalars(select(Installment).order_by(Installment.due_on)))
        [payment] = list(await session.scalars(select(Payment)))
    assert [i.paid_minor for i in plan] == [50_000, 0]
    assert (payment.installment_id, payment.amount_minor) == (plan[0].id, 50_000)
    # a second tap (an old copy of the message, a double tap) pays nothing twice
    again = (await chat.press_data(reminder, f"inst:{plan[0].id}:paid"))[-1]
    assert "already paid" in again.text
    assert "not yet due: $500" in (await chat.say("/receivables")).text

    # the second: part received, through the payment card
    frozen_time.move_to(datetime(2027, 1, 20, 1, 5, tzinfo=UTC))
    assert await bot.sweep() == 1
    asked = await chat.press(chat.inbox()[-1], "Part received")
    assert "How much was paid?" in asked.text
    card = await chat.say("$200")
    assert "$500 → $300" in card.text
    await chat.press(card, "Save")
    assert "0–30 days late: $300" in (await chat.say("/receivables")).text


async def test_an_overdue_installment_stays_in_the_digest_until_paid(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await buy(chat, "John Smith bought 2 seats for $1,000, installments: $500 on Nov 25, "
                    "$500 on Jan 20", "Save")
    assert await bot.sweep() >= 0  # plans the digest
    frozen_time.move_to(datetime(2026, 12, 7, 0, 0, 10, tzinfo=UTC))  # Monday 08:00
    await bot.sweep()
    digest = [m for m in chat.inbox() if "Your day" in m.text][-1]
    assert "Money to collect, overdue" in digest.text
    assert "John Smith $500 · 12 days late" in digest.text
    await chat.press(await chat.say("John Smith paid $500"), "Save")
    frozen_time.move_to(datetime(2026, 12, 8, 0, 0, 10, tzinfo=UTC))
    await bot.sweep()
    digests = [m for m in chat.inbox() if "Your day" in m.text]
    assert all("Money to collect, overdue" not in m.text for m in digests[1:])


async def test_bad_amounts_get_a_clear_answer_and_nothing_is_written(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await buy(chat, "John Smith bought 20 X1 for $4,800", "Save")
    zero = await chat.say("John Smith paid $0")
    assert "more than zero" in zero.text
    assert not any("Save" in label for label in zero.button_labels)
    await chat.press(zero, "Cancel")
    huge = await chat.say("John Smith paid $900,000,000")  # above the team's ceiling
    assert "usual ceiling" in huge.text
    await chat.press(huge, "Cancel")
    typed = await chat.press(await chat.say("John Smith paid $100"), "Change amount")
    assert "How much was paid?" in typed.text
    assert "could not read one amount" in (await chat.say("lots")).text
    card = await chat.say("$100")
    assert "$4,800 → $4,700" in card.text
    _, paid = await rows(bot)
    assert paid == []


async def test_one_tap_applies_a_payment_to_another_purchase_first(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await buy(chat, "John Smith bought 20 X1 for $4,800", "Save")
    await buy(chat, "John Smith bought 2 Y2 for $1,000", "Save")
    card = await chat.say("John Smith paid $1,000")
    assert "#1 · X1 × 20" in card.text and "#2" not in card.text  # the oldest first
    choices = await chat.press(card, "Apply to another purchase")
    assert "Which purchase does it pay first?" in choices.text
    card = await chat.press(choices, choices.buttons[1][0][0])  # the Y2 purchase
    assert "#2 · Y2 × 2" in card.text and "$1,000 → $0" in card.text
    await chat.press(card, "Save")
    bought, paid = await rows(bot)
    assert [p.paid_minor for p in bought] == [0, 100_000]
    assert [(p.purchase_id, p.amount_minor) for p in paid] == [(bought[1].id, 100_000)]

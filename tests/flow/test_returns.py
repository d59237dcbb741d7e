"""Goods sent back and money given up: a return makes the purchase worth and owe less (a
refund where it was paid), counts in value and churn; a manager's write-off settles what
is left without counting as collected."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from storage.models import Installment, Payment, Purchase
from storage.sales.value import churn_reason, gather
from tests.flow.conftest import ADMIN, Bot, join
from tests.flow.test_purchases import add


async def purchases(bot: Bot) -> list[Purchase]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Purchase).order_by(Purchase.id)))


async def test_a_return_owes_less_then_is_a_refund_and_counts_in_value_and_churn(
    bot: Bot
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "王小明 138 1234 5678 ACME 上海")
    await chat.press(await chat.say("王小明 买了 20 台 X1，共 4.8 万"), "Save")
    card = await chat.say("王小明退货 5 台 X1")
    assert "Return · 王小明" in card.text and "X1 × 20" in card.text
    assert "Quantity: 5" in card.text and "¥12,000 (pro rata)" in card.text
    assert "Owed: ¥48,000 → ¥36,000" in card.text
    assert (await purchases(bot))[0].returned_minor == 0  # nothing before the tap
    saved = await chat.press(card, "Save")
    assert "Return of ¥12,000 saved on 王小明's timeline." in saved.text
    [bought] = await purchases(bot)
    assert (bought.returned_minor, bought.paid_minor) == (1_200_000, 1_200_000)
    found = (await chat.say("/find 王小明")).text
    assert "Owed: ¥36,000" in found and "¥36,000" in found.split("Owed")[0]  # worth less

    await chat.press(await chat.say("王小明回款 3.6 万"), "Save")  # paid in full
    card = await chat.say("王小明退货 5 台 X1，退款 1.2 万")
    assert "Refund due to the customer: ¥12,000" in card.text
    assert "Refund due to the customer: ¥12,000" in (await chat.press(card, "Save")).text
    async with bot.database.unit_of_work() as session:
        rows = [(p.kind, p.purchase_id, p.amount_minor, p.quantity) for p in
                await session.scalars(select(Payment).order_by(Payment.id))]
        [facts] = await gather(session, datetime.now(UTC), "CNY")
    assert rows == [("return", 1, 1_200_000, 5), ("payment", 1, 3_600_000, None),
                    ("return", 1, 1_200_000, 5)]  # the refund, on its purchase
    assert (await purchases(bot))[0].returned_minor == 2_400_000
    assert facts.year_minor == 2_400_000  # bought 48,000, 24,000 sent back
    reason = churn_reason(facts, datetime.now(UTC), 2.0)
    assert reason is not None and reason["rule"] == "returned"

    too_many = await chat.say("王小明退货 50 台 X1")
    assert "more units than are left of purchase #1" in too_many.text
    assert not any("Save" in label for label in too_many.button_labels)


async def test_a_return_settles_the_last_installments_first(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add(chat, "王小明 138 1234 5678 ACME 上海", "保存")
    await chat.press(await chat.say("王小明 买了 3 台 X1，共 30 万，分三期：12月15日 10万，"
                                    "1月15日 10万，2月15日 10万"), "保存")
    card = await chat.say("王小明退货 1 台 X1")
    assert "¥100,000" in card.text
    await chat.press(card, "保存")
    async with bot.database.unit_of_work() as session:
        plan = list(await session.scalars(select(Installment).order_by(Installment.due_on)))
    assert [i.paid_minor for i in plan] == [0, 0, 10_000_000]
    text = (await chat.say("/receivables")).text
    assert "¥200,000" in text


async def test_a_manager_writes_off_what_is_left_and_it_is_not_collected(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    rep = await join(bot, 2002, "Bob")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await chat.press(await chat.say("John Smith bought 20 X1 for $4,800"), "Save")
    await chat.press(await chat.say("John Smith paid $800"), "Save")
    assert "Only a manager or an admin can do that." in (
        await rep.say("/writeoff John Smith")).text
    choices = await chat.say("/writeoff John Smith")
    assert "Which purchase of John Smith should be written off?" in choices.text
    done = await chat.press(choices, "🗑 #1 · $4,000")
    assert "Written off $4,000 of #1" in done.text
    [bought] = await purchases(bot)
    assert bought.paid_minor == bought.amount_minor
    text = (await chat.say("/receivables")).text
    assert "Nothing is owed now." in text  # written off: not owed any more
    assert "This month: $800 of $4,800 due collected (17%)" in text  # and not collected
    async with bot.database.unit_of_work() as session:
        kinds = [p.kind for p in await session.scalars(select(Payment).order_by(Payment.id))]
    assert kinds == ["payment", "write_off"]
    again = await chat.say("/writeoff John Smith")
    assert "owes nothing" in again.text

"""The triggers behind the team's aging (migration 0024): after every kind of change the
bot makes (a purchase, its plan, payments, a return, a write-off, a handover, a merge, a
customer removed), `receivable_days` holds exactly what the rows themselves say."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, func, select, update

from storage.models import Customer, Installment, Purchase, ReceivableDay, User
from tests.flow.conftest import ADMIN, Bot, join
from tests.flow.test_purchases import add


async def summed(bot: Bot) -> Counter[tuple[int, str, date]]:
    async with bot.database.unit_of_work() as session:
        return Counter({(owner, currency, day): owed for owner, currency, day, owed in
                        await session.execute(select(
                            ReceivableDay.owner_id, ReceivableDay.currency,
                            ReceivableDay.due_on, ReceivableDay.owed_minor)) if owed})


async def from_the_rows(bot: Bot) -> Counter[tuple[int, str, date]]:
    found: Counter[tuple[int, str, date]] = Counter()
    async with bot.database.unit_of_work() as session:
        for owner, currency, day, owed in await session.execute(
                select(func.coalesce(Customer.owner_id, 0), Installment.currency,
                       Installment.due_on, Installment.amount_minor - Installment.paid_minor)
                .join(Customer, Customer.id == Installment.customer_id)
                .where(Customer.merged_into_id.is_(None),
                       Installment.paid_minor < Installment.amount_minor)):
            found[(owner, currency, day)] += owed
        for owner, currency, at, owed in await session.execute(
                select(func.coalesce(Customer.owner_id, 0), Purchase.currency,
                       Purchase.occurred_at, Purchase.amount_minor - Purchase.paid_minor)
                .join(Customer, Customer.id == Purchase.customer_id)
                .where(Customer.merged_into_id.is_(None), Purchase.planned.is_(False),
                       Purchase.paid_minor < Purchase.amount_minor)):
            found[(owner, currency, at.date())] += owed
    return Counter({key: owed for key, owed in found.items() if owed})


async def test_the_per_day_sums_follow_every_change(bot: Bot) -> None:
    alice = bot.chat(ADMIN, "Alice", "zh-hans")
    await join(bot, 2002, "Bob")
    await add(alice, "王小明 138 1234 5678 ACME 上海", "保存")
    await add(alice, "刘强 139 8765 4321 华东贸易", "保存")
    await alice.press(await alice.say("王小明 买了 3 台 X1，共 30 万，分三期：12月15日 10万，"
                                      "1月15日 10万，2月15日 10万"), "保存")
    await alice.press(await alice.say("王小明 买了 20 台 Y2，共 4.8 万"), "保存")
    await alice.press(await alice.say("刘强 买了 5 台 X1，共 5 万"), "保存")
    assert await summed(bot) == await from_the_rows(bot) and sum((await summed(bot)).values())
    steps = [("王总回款 12 万", "保存"), ("王小明退货 5 台 Y2", "保存"),
             ("刘强退货 1 台 X1", "保存")]
    for sentence, tap in steps:
        await alice.press(await alice.say(sentence), tap)
        assert await summed(bot) == await from_the_rows(bot), sentence
    # a plan set later on a partly paid purchase, then replaced
    one = await alice.press(await alice.press(await alice.say("/find 刘强"), "💴 购买与回款"),
                            "🛒 #3")
    await alice.press(await alice.press(await alice.press(one, "🗓 回款计划"), "2 × 按月"), "保存")
    assert await summed(bot) == await from_the_rows(bot)
    one = await alice.press(await alice.press(await alice.say("/find 刘强"), "💴 购买与回款"),
                            "🛒 #3")
    await alice.press(await alice.press(await alice.press(one, "🗓 修改回款计划"), "3 × 按月"),
                      "保存")
    assert await summed(bot) == await from_the_rows(bot)
    choices = await alice.say("/writeoff 刘强")
    await alice.press_data(choices, choices.buttons[0][0][1])
    assert await summed(bot) == await from_the_rows(bot)

    # handed over to Bob: the sums move to his name
    async with bot.database.unit_of_work() as session:
        bob_id = await session.scalar(select(User.id).where(User.telegram_id == 2002))
        await session.execute(update(Customer).values(owner_id=bob_id))
    assert {owner for owner, _, _ in await summed(bot)} == {bob_id}
    assert await summed(bot) == await from_the_rows(bot)

    # merged away, then removed: nothing of it is owed any more
    async with bot.database.unit_of_work() as session:
        wang = await session.get(Customer, 1)
        assert wang is not None
        wang.merged_into_id = 2
    assert await summed(bot) == await from_the_rows(bot) == Counter()
    async with bot.database.unit_of_work() as session:
        wang = await session.get(Customer, 1)
        assert wang is not None
        wang.merged_into_id = None
    assert await summed(bot) == await from_the_rows(bot) != Counter()
    async with bot.database.unit_of_work() as session:
        await session.execute(delete(Customer).where(Customer.id == 1))
    assert await summed(bot) == await from_the_rows(bot) == Counter()

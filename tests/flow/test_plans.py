"""A plan for a purchase already saved (from its money view, right after it is saved, or
after a deal is won) through buttons or typed; what each purchase owes with its
installments and status; an installment's invoice (开票)."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine
from sqlalchemy import select

from storage.models import AuditEntry, Installment, Purchase, Reminder
from tests.flow.conftest import ADMIN, Bot
from tests.flow.test_purchases import add


async def installments(bot: Bot) -> list[Installment]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Installment).order_by(Installment.due_on)))


async def test_equal_monthly_installments_for_a_saved_purchase_then_an_invoice(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    saved = await chat.press(await chat.say("John Smith bought 20 X1 for $4,800"), "Save")
    asked = await chat.press(saved, "🗓 Payment plan")
    assert "How will $4,800 be paid?" in asked.text
    card = await chat.press(asked, "3 × monthly")  # from today, 2026-11-20
    assert "2026-11-20 $1,600 · 2026-12-20 $1,600 · 2027-01-20 $1,600" in card.text
    assert await installments(bot) == []  # nothing before Save
    done = await chat.press(card, "Save")
    assert "Plan saved: 3 installments" in done.text and "1/3 · 2026-11-20 · $1,600" in done.text
    plan = await installments(bot)
    assert [(i.due_on, i.amount_minor) for i in plan] == [
        (date(2026, 11, 20), 160_000), (date(2026, 12, 20), 160_000),
        (date(2027, 1, 20), 160_000)]
    async with bot.database.unit_of_work() as session:
        reminders = [await session.get(Reminder, i.reminder_id) for i in plan]
        purchase = await session.scalar(select(Purchase))
    assert purchase is not None and purchase.planned
    assert [(r.kind, r.status, r.text) for r in reminders if r] == [
        ("installment", "open", "1/3"), ("installment", "open", "2/3"),
        ("installment", "open", "3/3")]

    asked = await chat.press(done, "🧾 1/3")
    assert "The invoice for the installment due 2026-11-20" in asked.text
    refused = await chat.say("FP2026-001 tomorrow")
    assert "cannot be dated after today" in refused.text
    noted = await chat.say("FP2026-001 Nov 18")
    assert "Invoice FP2026-001 of 2026-11-18 saved." in noted.text
    assert "🧾 FP2026-001 (2026-11-18)" in noted.text
    plan = await installments(bot)
    assert (plan[0].invoice_no, plan[0].invoice_on) == ("FP2026-001", date(2026, 11, 18))
    history = await chat.say("/history C-000001")
    assert "set a payment plan" in history.text and "recorded an invoice" in history.text

    frozen_time.shift(timedelta(days=40))  # the first two installments are now due
    listed = await chat.press(await chat.say("/find John Smith"), "💴 Purchases and money")
    assert "Purchases and money of John Smith" in listed.text
    assert "⏰ overdue $3,200 · paid $0 · owed $4,800" in listed.text
    one = await chat.press(listed, "🛒 #1")
    assert "2/3 · 2026-12-20 · $1,600" in one.text


async def test_a_deposit_pays_the_first_installments_and_a_paid_plan_stays(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    await chat.press(await chat.say("John Smith bought 2 seats for $1,000"), "Save")
    await chat.press(await chat.say("John Smith paid $300"), "Save")  # a deposit, no plan

    listed = await chat.press(await chat.say("/find John Smith"), "💴 Purchases and money")
    one = await chat.press(listed, "🛒 #1")
    assert "partly paid · paid $300 · owed $700" in one.text
    assert "No payment plan" in one.text
    hint = await chat.press(await chat.press(one, "🗓 Payment plan"), "✍️ Type the plan")
    assert "Type the plan" in hint.text
    unread = await chat.say("soon")
    assert "I could not read a plan in that" in unread.text
    card = await chat.say("$600 on Dec 20, $300 on Jan 20")  # $900: not the $1,000
    assert "The plan adds up to $900, not the amount" in card.text
    assert "Save" not in " ".join(card.button_labels).replace("🔁", "")
    hint = await chat.press(await chat.press(card, "🔁 Another plan"), "✍️ Type the plan")
    card = await chat.say("$600 on Dec 20, $400 on Jan 20")
    assert "Already paid $300: it pays the first installments." in card.text
    await chat.press(card, "Save")
    assert [(i.amount_minor, i.paid_minor) for i in await installments(bot)] == [
        (60_000, 30_000), (40_000, 0)]

    # Replaced while no payment was applied to an installment: the old ones go.
    one = await chat.press(await chat.press(await chat.say("/find John Smith"),
                                            "💴 Purchases and money"), "🛒 #1")
    card = await chat.press(await chat.press(one, "🗓 Change the plan"), "2 × monthly")
    await chat.press(card, "Save")
    plan = await installments(bot)
    assert [(i.due_on, i.amount_minor, i.paid_minor) for i in plan] == [
        (date(2026, 11, 20), 50_000, 30_000), (date(2026, 12, 20), 50_000, 0)]
    async with bot.database.unit_of_work() as session:
        statuses = list(await session.scalars(select(Reminder.status).where(
            Reminder.kind == "installment").order_by(Reminder.id)))
    assert statuses == ["cancelled", "cancelled", "open", "open"]

    await chat.press(await chat.say("John Smith paid $200"), "Save")  # pays installment 1
    one = await chat.press(await chat.press(await chat.say("/find John Smith"),
                                            "💴 Purchases and money"), "🛒 #1")
    card = await chat.press(await chat.press(one, "🗓 Change the plan"), "4 × monthly")
    refused = await chat.press(card, "Save")
    assert "Payments were applied to this plan's installments" in refused.text
    assert [(i.amount_minor, i.paid_minor) for i in await installments(bot)] == [
        (50_000, 50_000), (50_000, 0)]


async def test_a_won_deal_offers_a_plan_for_its_purchase(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await chat.press(await chat.say("/add 王小明 138 1234 5678 ACME 上海"), "保存")
    saved = await chat.press(await chat.say("王小明的 X1 项目 预计 30 万 下月底签"), "保存")
    won = await chat.press(saved, "🏆 赢单")
    card = await chat.press(await chat.press(won, "🗓 回款计划"), "3 × 按月")
    assert "2026-11-20 ¥100,000 · 2026-12-20 ¥100,000 · 2027-01-20 ¥100,000" in card.text
    await chat.press(card, "保存")
    assert [i.amount_minor for i in await installments(bot)] == [10_000_000] * 3
    async with bot.database.unit_of_work() as session:
        audited = list(await session.scalars(select(AuditEntry.action).where(
            AuditEntry.action == "plan")))
    assert audited == ["plan"]

"""A purchase in one message and one tap: understood, shown, saved, the stage moved."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry, Customer, Interaction, Purchase
from tests.flow.conftest import ADMIN, Bot, join
from tests.harness import Chat


async def purchases_of(bot: Bot) -> list[Purchase]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Purchase).order_by(Purchase.id)))


async def stage_of(bot: Bot, customer_id: int = 1) -> str:
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        return customer.stage


async def add(chat: Chat, line: str, save: str = "Save") -> None:
    await chat.press(await chat.say(f"/add {line}"), save)


async def test_chinese_purchase_then_repeat_makes_customer_then_loyal(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add(chat, "王小明 138 1234 5678 ACME 上海", "保存")

    card = await chat.say("王小明 买了 20 台 X1，共 4.8 万")
    assert "王小明" in card.text and "C-000001" in card.text
    assert "X1 × 20" in card.text and "¥48,000" in card.text
    assert "还没有购买记录" in card.text
    assert await purchases_of(bot) == []  # nothing saved before the tap

    saved = await chat.press(card, "保存")
    assert "¥48,000" in saved.text and "线索 → 客户" in saved.text
    [purchase] = await purchases_of(bot)
    assert (purchase.amount_minor, purchase.currency, purchase.quantity, purchase.product) == (
        4_800_000, "CNY", 20, "X1")
    assert await stage_of(bot) == "customer"
    async with bot.database.unit_of_work() as session:
        entry = await session.get(Interaction, purchase.interaction_id)
        assert entry is not None and entry.kind == "purchase"
        assert entry.summary == "王小明 买了 20 台 X1，共 4.8 万"
        audit = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "purchase"))).one()
        assert audit.before == {"stage": "lead"} and audit.after["stage"] == "customer"

    again = await chat.say("王小明下单 3 套，12,000 元")
    assert "¥12,000" in again.text and "共 1 笔购买，合计 ¥48,000" in again.text
    saved = await chat.press(again, "保存")
    assert "客户 → 忠实" in saved.text and "共 2 笔购买，合计 ¥60,000" in saved.text
    assert await stage_of(bot) == "loyal"
    card = await chat.say("/find 王小明")
    assert "共 2 笔购买，合计 ¥60,000" in card.text and "🛒" in card.text


async def test_english_purchase_in_dollars(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    card = await chat.say("John Smith bought 20 X1 for $4,800")
    assert "X1 × 20" in card.text and "$4,800" in card.text
    await chat.press(card, "Save")
    [purchase] = await purchases_of(bot)
    assert (purchase.amount_minor, purchase.currency) == (480_000, "USD")


async def test_absurd_zero_and_missing_amounts_are_asked_about(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "王小明 138 1234 5678 ACME 上海")

    card = await chat.say("王小明 买了 1 台 X9 共 2亿")
    assert "¥200,000,000" in card.text and "ceiling" in card.text
    assert card.button_data("Yes, save this amount") == "buy:sure"
    ask = await chat.press(card, "Change amount")
    assert "How much" in ask.text
    refused = await chat.say("0")
    assert "more than zero" in refused.text
    unreadable = await chat.say("a lot")
    assert "could not read" in unreadable.text
    fixed = await chat.say("2万")
    assert "¥20,000" in fixed.text and "ceiling" not in fixed.text
    assert await purchases_of(bot) == []
    await chat.press(fixed, "Save")
    [purchase] = await purchases_of(bot)
    assert purchase.amount_minor == 2_000_000

    no_amount = await chat.say("王小明 买了 3 台 X1")
    ask = await chat.press(no_amount, "Save")
    assert "How much" in ask.text
    card = await chat.say("¥3000")
    await chat.press(card, "Save")
    assert [p.amount_minor for p in await purchases_of(bot)] == [2_000_000, 300_000]


async def test_big_amount_saved_only_when_confirmed(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "王小明 138 1234 5678 ACME 上海")
    card = await chat.say("王小明 签单 买了 X9 共 1.2亿")
    await chat.press(card, "Yes, save this amount")
    [purchase] = await purchases_of(bot)
    assert purchase.amount_minor == 12_000_000_000


async def test_a_rep_cannot_log_a_purchase_on_a_customer_they_may_not_see(bot: Bot) -> None:
    bot.settings.team.visibility = "own"  # type: ignore[misc]
    admin = bot.chat(ADMIN, "Alice")
    await add(admin, "王小明 138 1234 5678 ACME 上海")
    rep = await join(bot, 2002, "Bob")
    asked = await rep.say("王小明 买了 20 台 X1，共 4.8 万")
    assert "Which customer" in asked.text
    refused = await rep.say("C-000001")
    assert "Nobody found" in refused.text
    assert await purchases_of(bot) == []

"""Deals in one sentence, moved with one tap (twice pressed: once moved), /pipeline, the
won deal's purchase, and the deal past its close date in the digest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import AuditEntry, Customer, Deal, Purchase
from tests.flow.conftest import ADMIN, Bot, join


async def deals_of(bot: Bot) -> list[Deal]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Deal).order_by(Deal.id)))


async def test_deal_from_a_sentence_moved_won_and_in_the_pipeline(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await chat.press(await chat.say("/add 王小明 138 1234 5678 ACME 上海"), "保存")

    card = await chat.say("王小明的 X1 项目 预计 30 万 下月底签")
    assert "X1 项目" in card.text and "¥300,000" in card.text and "2026-12-31" in card.text
    assert await deals_of(bot) == []
    saved = await chat.press(card, "保存")
    assert "商机已保存" in saved.text
    [deal] = await deals_of(bot)
    assert (deal.title, deal.value_minor, deal.stage, deal.close_on) == (
        "X1 项目", 30_000_000, "lead", date(2026, 12, 31))

    moved = await chat.press(saved, "➡️ 已确认需求")
    assert "线索 → 已确认需求" in moved.text
    # The old card's button pressed again: refused, nothing moved twice.
    await chat.press_data(saved, "deal:1:lead:qualified")
    assert any("已有人先移动了这个商机" in alert for alert in chat.alerts())
    async with bot.database.unit_of_work() as session:
        moves = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "deal_move"))).all()
    assert len(moves) == 1
    assert (await deals_of(bot))[0].stage == "qualified"

    board = await chat.say("/pipeline")
    assert "团队销售漏斗" in board.text and "已确认需求: 1 · ¥300,000" in board.text
    listed = await chat.press(board, "已确认需求 (1)")
    opened = await chat.press(listed, "#1 X1 项目 · 王小明")
    assert "X1 项目" in opened.text and "#1" in opened.text

    won = await chat.press(opened, "🏆 赢单")
    assert "已确认需求 → 赢单" in won.text
    [deal] = await deals_of(bot)
    assert deal.stage == "won" and deal.closed_at is not None
    async with bot.database.unit_of_work() as session:
        purchase = await session.get(Purchase, deal.purchase_id)
        customer = await session.get(Customer, 1)
    assert purchase is not None and purchase.amount_minor == 30_000_000
    assert customer is not None and customer.stage == "customer"


async def test_english_deal_and_a_reps_own_pipeline(bot: Bot) -> None:
    admin = bot.chat(ADMIN, "Alice")
    await admin.press(await admin.say("/add John Smith +1 650 253 0000 Acme"), "Save")
    card = await admin.say("John Smith X1 deal worth $30k closing December 15")
    assert "X1 deal" in card.text and "$30,000" in card.text and "2026-12-15" in card.text
    await admin.press(card, "Save")

    rep = await join(bot, 2002, "Bob")
    mine = await rep.say("/pipeline")
    assert "Your pipeline" in mine.text and "No deals yet" in mine.text
    team = await admin.say("/pipeline")
    assert "lead: 1 · $30,000" in team.text


async def test_a_deal_past_its_close_date_shows_in_the_digest(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    chat = bot.chat(ADMIN, "Alice")
    await chat.press(await chat.say("/add 王小明 138 1234 5678 ACME 上海"), "Save")
    await chat.press(await chat.say("/deal 王小明 X1 项目 预计 30 万 下周五签"), "Save")
    assert await bot.sweep() == 0  # plans the digest
    frozen_time.move_to(datetime(2026, 11, 29, 0, 0, 10, tzinfo=UTC))  # Sunday 08:00
    await bot.sweep()
    [digest] = [m for m in chat.inbox() if "Your day" in m.text]
    assert "Deals past their close date" in digest.text
    assert "X1 项目 · 王小明 · ¥300,000 · 2026-11-27" in digest.text
    opened = await chat.press(digest, "💼 #1 X1 项目")
    assert "Past its expected close date" in opened.text

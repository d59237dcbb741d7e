"""Service requests (工单) in one message and one tap: the due time read from the sentence
(or set by the priority), the assignee reminded on time, started, resolved with what was
done, reopened; a manager gives one to a rep; complaints count as churn signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from storage.models import Interaction, Reminder, ServiceRequest
from storage.sales.value import churn_reason, gather
from tests.flow.conftest import ADMIN, Bot, join
from tests.flow.test_purchases import add


async def saved_requests(bot: Bot) -> list[ServiceRequest]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))


async def timeline(bot: Bot) -> list[str]:
    async with bot.database.unit_of_work() as session:
        return list(await session.scalars(select(Interaction.summary).where(
            Interaction.kind == "request").order_by(Interaction.id)))


async def test_a_fault_in_one_sentence_reminds_on_its_day_and_is_resolved(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "王小明 138 1234 5678 ACME 上海")
    # Friday 10:00 in Shanghai: "周三前" is next Wednesday, at the default hour
    card = await chat.say("王小明反馈 X1 漏油，下周三前上门处理")
    assert "Service request" in card.text and "王小明" in card.text
    assert "Kind: fault · Priority: 🟢 normal" in card.text
    assert "Due: 2026-11-25 09:00" in card.text and "Assignee: Alice" in card.text
    assert await saved_requests(bot) == []  # nothing before the tap
    saved = await chat.press(card, "Save")
    assert "Request saved." in saved.text and "open" in saved.text
    [request] = await saved_requests(bot)
    assert (request.kind, request.priority, request.status) == ("fault", "normal", "open")
    assert request.due_at == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert await timeline(bot) == [f"#{request.id} 王小明反馈 X1 漏油，下周三前上门处理"]
    assert "Open requests: 1" in (await chat.say("/find 王小明")).text

    assert await bot.sweep() == 0
    frozen_time.move_to(datetime(2026, 11, 25, 1, 0, 30, tzinfo=UTC))
    assert await bot.sweep() == 1
    due = chat.inbox()[-1]
    assert "Request due" in due.text and "X1 漏油" in due.text
    started = await chat.press(due, "Start")
    assert "in progress" in started.text
    asked = await chat.press(started, "Resolved…")
    assert "What was done?" in asked.text
    done = await chat.say("换了密封圈，已试机")
    assert "resolved" in done.text and "换了密封圈，已试机" in done.text
    [request] = await saved_requests(bot)
    assert request.status == "resolved" and request.resolution == "换了密封圈，已试机"
    started_at = datetime(2026, 11, 25, 1, 0, 30, tzinfo=UTC)  # Start pressed (tick=True)
    assert request.first_response_at is not None
    assert started_at <= request.first_response_at < started_at + timedelta(seconds=5)
    assert request.resolved_at is not None and request.resolved_at >= request.first_response_at
    assert (await timeline(bot))[-1] == f"#{request.id} ✅ 换了密封圈，已试机"
    async with bot.database.unit_of_work() as session:
        reminder = await session.get(Reminder, request.reminder_id)
    assert reminder is not None and reminder.status == "done"
    assert "No open requests" in (await chat.say("/tickets")).text
    history = (await chat.say("/history C-000001")).text
    assert "opened a service request" in history and "resolved a service request" in history

    # still leaking: reopened, due again, reminded again
    asked = await chat.press(done, "Reopen")
    reopened = await chat.say("还在漏油，明天下午3点前处理")
    assert "reopened" in reopened.text and "Due: 2026-11-26 15:00" in reopened.text
    [request] = await saved_requests(bot)
    assert request.status == "reopened" and request.resolved_at is None
    assert f"#{request.id}" in (await chat.say("/tickets")).text


async def test_a_manager_gives_a_request_to_a_rep_who_is_told_and_reminded(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    alice = bot.chat(ADMIN, "Alice")
    bob = await join(bot, 2002, "Bob")
    await add(alice, "John Smith +1 650 253 0000 Acme")
    card = await alice.say("Acme says the license key fails, fix by tomorrow, urgent")
    assert "John Smith" in card.text and "Priority: 🔴 urgent" in card.text
    assert "Due: 2026-11-21 09:00" in card.text  # "by tomorrow": the day, at 09:00
    picker = await alice.press(card, "Assign")
    card = await alice.press(picker, "Bob")
    assert "Assignee: Bob" in card.text
    await alice.press(card, "Save")
    told = bob.inbox()[-1]
    assert "Alice gave you a request:" in told.text and "license key fails" in told.text
    listing = await bob.say("/tickets")
    assert "Your open requests" in listing.text and "John Smith" in listing.text
    assert "John Smith" in (await alice.say("/tickets")).text  # a manager sees the team's

    # a rep's own card has no Assign, and a request logged with no time is due by priority
    await add(bob, "刘强 139 8765 4321 华东贸易")
    card = await bob.say("刘强说设备有异响，不急")
    assert "Assign" not in card.button_labels
    assert "Priority: ⚪ low" in card.text and "Due: 2026-11-27 09:00 (by its priority)" \
        in card.text
    again = await bob.press(card, "Priority")  # low → normal: due in 3 days
    assert "Priority: 🟢 normal" in again.text and "Due: 2026-11-23 09:00" in again.text
    again = await bob.press(await bob.press(again, "Priority"), "Priority")  # high, urgent
    assert "Priority: 🔴 urgent" in again.text and "Due: 2026-11-20 14:00" in again.text

    frozen_time.move_to(datetime(2026, 11, 21, 1, 0, 30, tzinfo=UTC))
    assert await bot.sweep() == 1
    assert "Request due" in bob.inbox()[-1].text and "license key" in bob.inbox()[-1].text


async def test_a_complaint_is_a_churn_signal_and_an_overdue_request_stays_in_the_digest(
    make_bot: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot: Bot = await make_bot(digest_hour=8)
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add(chat, "刘强 139 8765 4321 华东贸易", "保存")
    await chat.press(await chat.say("刘强 买了 5 台 X1，共 5 万"), "保存")
    card = await chat.say("刘总投诉发货太慢，明天给答复")
    assert "投诉" in card.text
    await chat.press(card, "保存")
    [request] = await saved_requests(bot)
    assert request.kind == "complaint"
    async with bot.database.unit_of_work() as session:
        [facts] = await gather(session, datetime.now(UTC), "CNY")
    reason = churn_reason(facts, datetime.now(UTC), 2.0)
    assert reason is not None and reason["rule"] == "complaint"

    await bot.sweep()  # plans the digest
    frozen_time.move_to(datetime(2026, 11, 23, 0, 0, 10, tzinfo=UTC))  # Monday 08:00
    await bot.sweep()
    digest = [m for m in chat.inbox() if "今日" in m.text or "Your day" in m.text][-1]
    assert f"#{request.id}" in digest.text and "刘强" in digest.text


async def test_bad_input_gets_a_clear_answer_and_nothing_is_written(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    assert "Tell me the customer and the problem" in (await chat.say("/request")).text
    await add(chat, "John Smith +1 650 253 0000 Acme")
    card = await chat.say("John Smith says the printer is broken")
    asked = await chat.press(card, "Due time")
    assert "By when" in asked.text
    assert "could not read a date" in (await chat.say("whenever it suits")).text
    card = await chat.say("yesterday 3pm")
    assert "Due: 2026-11-19 15:00" in card.text
    refused = await chat.press(card, "Save")
    assert "already passed" in refused.text
    assert await saved_requests(bot) == []
    assert "Nothing was saved" in (await chat.press(card, "Cancel")).text
    # a step under a request nobody can see: said so, nothing asked
    [answer] = await chat.press_data(card, "rq:999:resolve")
    assert "No request #999 that you can see." in answer.text
    assert await saved_requests(bot) == []


def test_default_due_follows_the_priority() -> None:
    from storage.models import RequestPriority
    from storage.requests import default_due
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    due = {p: default_due(p, now, "Asia/Shanghai", 9).astimezone(UTC) for p in RequestPriority}
    assert due[RequestPriority.URGENT] == now + timedelta(hours=4)
    assert due[RequestPriority.HIGH] == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert due[RequestPriority.NORMAL] == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert due[RequestPriority.LOW] == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)

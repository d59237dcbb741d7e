"""/history, and an admin's /export and /erase of one customer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from storage.models import (
    AuditEntry,
    ContactPoint,
    Customer,
    Interaction,
    ServiceRequest,
    Survey,
)
from tests.flow.conftest import ADMIN, Bot, join


async def test_history_shows_who_changed_what(make_bot: object) -> None:
    bot: Bot = await make_bot(visibility="own")  # type: ignore[operator]
    admin = bot.chat(ADMIN, "Alice")
    card = await admin.press(await admin.say("/add 王小明 13812345678"), "Save")
    await admin.press(await admin.press(card, "Edit"), "phone")
    await admin.say("13900001111")
    await admin.press(await admin.say("/log 王小明 打电话，要报价"), "Save")
    history = await admin.say("/history C-000001")
    lines = history.text.splitlines()
    assert lines[0] == "History of 王小明 C-000001"
    assert "Alice: logged a contact" in lines[1]
    assert "Alice: changed" in lines[2]
    assert "contacts: phone:+8613812345678 → phone:+8613900001111" in lines[3]
    assert "Alice: created the record" in lines[-1]
    assert "Usage: /history C-000123" in (await admin.say("/history")).text
    rep = await join(bot, 201, "Rep")
    assert "No customer C-000001 that you can see" in (await rep.say("/history C-000001")).text
    await admin.press(await admin.press(await admin.say("王小明"), "Owner"), "Rep")
    await admin.press(await admin.say("王小明"), "Archive")
    lines = (await admin.say("/history C-000001")).text.splitlines()
    assert "Alice: archived" in lines[1] and "in the archive: ✗ → ✓" in lines[2]
    assert "Alice: handed it to another owner" in lines[3] and "owner: Alice → Rep" in lines[4]


async def test_export_and_erase_ask_first_and_only_for_admins(bot: Bot) -> None:
    admin = bot.chat(ADMIN, "Alice")
    await admin.press(await admin.say("/add 王小明 13812345678 wang@example.com #vip"), "Save")
    await admin.press(await admin.say("/log 王小明 打电话，要报价，下周一跟进"), "Save")
    await admin.press(await admin.say("王小明 买了 2 台 X1，共 2 万，分两期：12月15日 1万，"
                                      "1月15日 1万"), "Save")
    await admin.press(await admin.say("王小明回款 1 万"), "Save")
    await admin.press(await admin.say("王小明投诉 X1 漏油，明天前上门"), "Save")
    async with bot.database.unit_of_work() as session:  # and the customer's own answer
        survey = Survey(customer_id=1, token_hash="0" * 64, language="zh_CN",
                        created_at=datetime.now(UTC), expires_at=datetime.now(UTC),
                        answered_at=datetime.now(UTC), stars=2, comment="王小明说：太慢")
        session.add(survey)
    manager = await join(bot, 301, "Manager", role="manager")
    assert "Only an admin can do that." in (await manager.say("/export C-000001")).text
    assert "Only an admin can do that." in (await manager.say("/erase C-000001")).text

    ask = await admin.say("/export C-000001")
    assert "Export everything stored about 王小明" in ask.text
    file = await admin.press(ask, "Export")
    assert file.document is not None and file.document["file_name"] == "C-000001.json"
    data = json.loads(bot.api.files[file.document["file_id"]][1])
    assert data["customer"]["name"] == "王小明"
    assert data["customer"]["contacts"] == ["email:wang@example.com", "phone:+8613812345678"]
    assert [e["summary"] for e in data["interactions"]] == [
        "打电话，要报价，下周一跟进",
        "王小明 买了 2 台 X1，共 2 万，分两期：12月15日 1万，1月15日 1万", "王小明回款 1 万",
        "#1 王小明投诉 X1 漏油，明天前上门"]
    assert data["reminders"][0]["status"] == "open"
    assert [(p["amount_minor"], p["paid_minor"]) for p in data["purchases"]] == [
        (2_000_000, 1_000_000)]
    assert [(i["due_on"], i["paid_minor"]) for i in data["installments"]] == [
        ("2026-12-15", 1_000_000), ("2027-01-15", 0)]
    assert [p["amount_minor"] for p in data["payments"]] == [1_000_000]
    assert [(r["kind"], r["problem"]) for r in data["service_requests"]] == [
        ("complaint", "王小明投诉 X1 漏油，明天前上门")]
    assert [(v["stars"], v["comment"]) for v in data["surveys"]] == [(2, "王小明说：太慢")]

    cancelled = await admin.press(await admin.say("/erase C-000001"), "Cancel")
    assert "Nothing was changed" in cancelled.text
    erased = await admin.press(await admin.say("/erase C-000001"), "Erase for good")
    assert "C-000001 is erased" in erased.text
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, 1)
        assert customer is not None and customer.name == "Erased C-000001"
        assert customer.erased_at is not None and customer.tags == []
        assert await session.scalar(select(func.count(ContactPoint.id))) == 0
        entries = list(await session.scalars(select(Interaction)))
        assert [(e.kind, e.summary) for e in entries] == [  # counted, not said
            ("call", ""), ("purchase", ""), ("payment", ""), ("request", "")]
        [request] = list(await session.scalars(select(ServiceRequest)))
        [answer] = list(await session.scalars(select(Survey)))
        assert (request.problem, request.kind) == ("", "complaint")
        assert (answer.comment, answer.stars) == (None, 2)  # the score still counts
        log = list(await session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "customer").order_by(AuditEntry.id)))
        assert "王小明" not in json.dumps([(a.before, a.after) for a in log], ensure_ascii=False)
        assert log[-1].action == "erase"
    assert "Nothing found" in (await admin.say("王小明")).text
    again = await admin.press(await admin.say("/erase C-000001"), "Erase for good")
    assert "already erased" in again.text
    assert "Erase Erased C-000001" in admin.inbox()[-2].text


async def test_a_long_history_comes_in_several_messages_within_telegrams_limit(
    bot: Bot,
) -> None:
    admin = bot.chat(ADMIN, "Alice")
    await admin.press(await admin.say("/add 王小明 13812345678"), "Save")
    async with bot.database.unit_of_work() as session:
        for n in range(120):  # 120 changes of the notes, each a long line in the history
            session.add(AuditEntry(actor_id=1, action="update", entity="customer", entity_id=1,
                                   before={"notes": f"第{n}版 " + "旧" * 60},
                                   after={"notes": f"第{n + 1}版 " + "新" * 60}))
    replies = await admin.send("/history C-000001")
    assert len(replies) >= 3
    assert all(len(m.text) <= 4096 for m in replies)
    text = "\n".join(m.text for m in replies)
    assert "第119版" in text and "第0版" in text and "created the record" in text

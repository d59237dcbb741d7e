"""/dupes: likely duplicates in groups, one tap merges, another takes it back (24 h)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from storage.models import AuditEntry, ContactPoint, Customer, Interaction, Reminder
from tests.flow.conftest import ADMIN, Bot, join


async def add_anyway(chat_say: object, line: str) -> None:
    """Adds a record even when the bot warns it may be a duplicate."""
    chat = chat_say
    card = await chat.say(f"/add {line}")  # type: ignore[attr-defined]
    saved = await chat.press(card, "Save")  # type: ignore[attr-defined]
    if "already be in the CRM" in saved.text:
        await chat.press(saved, "Add anyway")  # type: ignore[attr-defined]


async def state(bot: Bot) -> dict[str, object]:
    """What lands: each record's status, phones, timeline and follow-ups."""
    async with bot.database.unit_of_work() as session:
        people = list(await session.scalars(select(Customer).order_by(Customer.id)))
        entries = list(await session.scalars(select(Interaction).order_by(Interaction.id)))
        follow = list(await session.scalars(select(Reminder).order_by(Reminder.id)))
        points = list(await session.scalars(select(ContactPoint).order_by(ContactPoint.id)))
        return {
            "customers": [(c.id, c.name, c.company, c.archived, c.merged_into_id,
                           sorted(t.name for t in c.tags)) for c in people],
            "contacts": sorted((p.customer_id, p.value) for p in points),
            "interactions": [(e.id, e.customer_id) for e in entries],
            "reminders": [(r.id, r.customer_id) for r in follow],
        }


async def test_merge_and_undo_restore_both_records(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add_anyway(chat, "王小明 138 1234 5678")
    await add_anyway(chat, "王晓明 138 1234 5678 ACME #vip")
    await add_anyway(chat, "李雷 139 0000 1111")
    await chat.press(await chat.say("/log C-000002 打电话，要报价，明天下午3点跟进"), "Save")
    before = await state(bot)

    [group] = [m for m in await chat.send("/dupes") if "Possible duplicates" in m.text]
    assert "1 of 1: same phone, similar name" in group.text
    assert "C-000001" in group.text and "C-000002" in group.text and "李雷" not in group.text
    merged = await chat.press(group, "Keep C-000001")
    assert "Merged C-000002 into C-000001" in merged.text
    after = await state(bot)
    assert after["customers"][:2] == [  # type: ignore[index]
        (1, "王小明", "ACME", False, None, ["vip"]),
        (2, "王晓明", "ACME", True, 1, []),
    ]
    assert after["interactions"] == [(1, 1)] and after["reminders"] == [(1, 1)]
    assert after["contacts"] == [(1, "+8613812345678"), (3, "+8613900001111")]
    card = await chat.say("C-000002")  # the old code opens the survivor
    assert "C-000001" in card.text and "ACME" in card.text
    assert "No likely duplicates" in (await chat.say("/dupes")).text

    undo_data = merged.button_data("Undo merge")
    undone = await chat.press(merged, "Undo merge")
    assert "separate again" in undone.text
    assert await state(bot) == before
    again = await chat.press_data(undone, undo_data)  # an old copy of the button
    assert "already undone" in again[-1].text
    assert await state(bot) == before
    async with bot.database.unit_of_work() as session:
        actions = [a.action for a in await session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "customer", AuditEntry.entity_id == 2)
            .order_by(AuditEntry.id))]
    assert actions[-2:] == ["merged_into", "unmerge"]

    # A day later the undo button refuses.
    [group] = [m for m in await chat.send("/dupes") if "Possible duplicates" in m.text]
    merged = await chat.press(group, "Keep C-000002")
    assert "Merged C-000001 into C-000002" in merged.text
    frozen_time.shift(timedelta(hours=24, minutes=1))
    late = await chat.press_data(merged, merged.button_data("Undo merge"))
    assert "24 hours only" in late[-1].text


async def test_not_duplicates_are_not_paired_again(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await add_anyway(chat, "王伟 138 1234 5678 ACME")
    await add_anyway(chat, "王伟 139 0000 1111 ACME")
    await add_anyway(chat, "王伟 137 0000 2222")
    [group] = [m for m in await chat.send("/dupes") if "Possible duplicates" in m.text]
    assert all(f"C-00000{n}" in group.text for n in (1, 2, 3))
    marked = await chat.press(group, "Not duplicates")
    assert "C-000001, C-000002, C-000003 are different people" in marked.text
    assert "No likely duplicates" in (await chat.say("/dupes")).text
    await add_anyway(chat, "王伟 138 1234 5678")  # a fourth, same phone as the first
    [group] = [m for m in await chat.send("/dupes") if "Possible duplicates" in m.text]
    assert "C-000004" in group.text and "C-000001" in group.text
    again = await chat.press_data(group, "dn:1,1")
    assert "at least two different records" in again[-1].text


async def test_forged_merges_change_nothing(make_bot: object) -> None:
    bot: Bot = await make_bot(visibility="own")  # type: ignore[operator]
    admin = bot.chat(ADMIN, "Alice")
    rep = await join(bot, 201, "Rep")
    await add_anyway(admin, "王小明 138 1234 5678")
    await add_anyway(rep, "王晓明 138 1234 5678")
    before = await state(bot)
    listing = await rep.say("/dupes")
    assert "No likely duplicates" in listing.text  # the rep sees only their own record
    for data in ("dm:2:1", "dm:1:2", "dm:2:2", "mu:1", "dm:2:", "dm:x:1", "dn:1,2"):
        await rep.press_data(listing, data)
    texts = "\n".join(m.text for m in rep.inbox())
    assert texts.count("No customer C-000001 that you can see") == 3
    assert "cannot be merged into itself" in texts
    assert "That merge no longer exists" in texts
    assert rep.alerts().count("This button has expired.") == 2
    assert "Something went wrong" not in texts
    assert await state(bot) == before


async def test_a_merge_takes_purchases_and_what_is_owed_along_and_undo_brings_them_back(
    bot: Bot, frozen_time: time_machine.Coordinates
) -> None:
    from storage.models import Installment, Payment, Purchase
    from tests.flow.test_receivable_days import from_the_rows, summed

    chat = bot.chat(ADMIN, "Alice")
    await add_anyway(chat, "王小明 138 1234 5678")
    await add_anyway(chat, "王晓明 138 1234 5678 ACME")
    await chat.press(await chat.say("C-000002 买了 3 台 X1，共 30 万，分三期：12月15日 10万，"
                                    "1月15日 10万，2月15日 10万"), "Save")
    await chat.press(await chat.say("C-000002 paid ¥120,000"), "Save")
    await chat.press(await chat.say("C-000001 bought 2 Y2 for ¥5,000"), "Save")

    async def owners() -> dict[str, list[int]]:
        async with bot.database.unit_of_work() as session:
            return {model.__tablename__: sorted(set(await session.scalars(
                select(model.customer_id)))) for model in (Purchase, Installment, Payment)}

    [group] = [m for m in await chat.send("/dupes") if "Possible duplicates" in m.text]
    merged = await chat.press(group, "Keep C-000001")
    assert await owners() == {"purchases": [1], "installments": [1], "payments": [1]}
    assert await summed(bot) == await from_the_rows(bot)
    assert sum((await summed(bot)).values()) == 18_500_000  # 180,000 + 5,000
    assert "Owed: ¥185,000" in (await chat.say("/find C-000001")).text

    await chat.press(merged, "Undo merge")
    assert await owners() == {"purchases": [1, 2], "installments": [2], "payments": [2]}
    assert await summed(bot) == await from_the_rows(bot)
    assert "Owed: ¥180,000" in (await chat.say("/find C-000002")).text

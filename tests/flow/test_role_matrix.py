"""The role matrix under the `own` policy: every command and button × admin / manager / rep
× their own customer / a colleague's. Allowed means the answer is the thing asked for;
refused means a clear refusal and nothing changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.process.transports.inprocess import deliver_pending
from storage.models import AuditEntry, Customer, Reminder
from tests.flow.conftest import ADMIN, Bot, join
from tests.harness import Chat

REFUSALS = ("that you can see", "Only an admin", "Only a manager", "is not yours",
            "Which customer is this about", "Only the owner", "Nothing found")
Action = Callable[[Chat, int, int], Awaitable[str]]


async def text_of(chat: Chat, line: str) -> str:
    return "\n".join(m.text for m in await chat.send(line))


async def press(chat: Chat, data: str) -> str:
    """The answer to a press, alerts included."""
    anchor = await chat.say("/help")
    alerts = len(chat.alerts())
    replies = await chat.press_data(anchor, data)
    return "\n".join([m.text for m in replies] + chat.alerts()[alerts:])


async def open_card(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, f"C-{cid:06d}")


async def archive(chat: Chat, cid: int, rid: int) -> str:
    return await press(chat, f"c:{cid}:archive")


async def inline_card(chat: Chat, cid: int, rid: int) -> str:
    """`@bot C-000001` in another chat: the card it would post, or nothing."""
    query_id = chat.api.user_types_inline(chat.person, f"C-{cid:06d}")
    await deliver_pending(chat.app, chat.api)
    return "\n".join(a.text for a in chat.api.inline_answers[query_id].articles
                     ) or "Nothing found"


async def timeline(chat: Chat, cid: int, rid: int) -> str:
    return await press(chat, f"tl:{cid}:0")


async def log(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, f"/log C-{cid:06d} 打电话，聊了报价")


async def history(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, f"/history C-{cid:06d}")


async def export(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, f"/export C-{cid:06d}")


async def erase(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, f"/erase C-{cid:06d}")


async def reassign(chat: Chat, cid: int, rid: int) -> str:
    return await press(chat, f"c:{cid}:owner")


async def share(chat: Chat, cid: int, rid: int) -> str:
    return await press(chat, f"c:{cid}:share")


async def reminder(chat: Chat, cid: int, rid: int) -> str:
    return await press(chat, f"r:{rid}:open")


async def team(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, "/team")


async def backup(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, "/backup")


async def dupes(chat: Chat, cid: int, rid: int) -> str:
    return await text_of(chat, "/dupes")


# (action, allowed for admin, manager, rep) on their own customer / on a colleague's.
MATRIX: list[tuple[Action, tuple[bool, bool, bool], tuple[bool, bool, bool]]] = [
    (open_card, (True, True, True), (True, True, False)),
    (inline_card, (True, True, True), (True, True, False)),
    (timeline, (True, True, True), (True, True, False)),
    (log, (True, True, True), (True, True, False)),
    (history, (True, True, True), (True, True, False)),
    (share, (True, True, True), (True, True, False)),
    (reminder, (True, True, True), (True, True, False)),
    (reassign, (True, True, False), (True, True, False)),
    (export, (True, False, False), (True, False, False)),
    (erase, (True, False, False), (True, False, False)),
    (team, (True, True, False), (True, True, False)),
    (backup, (True, False, False), (True, False, False)),
    (dupes, (True, True, True), (True, True, True)),
    (archive, (True, True, True), (True, True, False)),  # last: it changes the record
]
ROLES = ("admin", "manager", "rep")


async def snapshot(bot: Bot, customer_id: int) -> Any:
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        reminders = [(r.id, r.status, r.due_at) for r in await session.scalars(
            select(Reminder).where(Reminder.customer_id == customer_id))]
        changes = [a.action for a in await session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "customer",
                                     AuditEntry.entity_id == customer_id))]
        return (customer.name, customer.archived, customer.owner_id,
                [u.id for u in customer.shared_with], reminders, changes)


@pytest.mark.parametrize("role", ROLES)
async def test_every_command_for_every_role(make_bot: Any, role: str) -> None:
    bot: Bot = await make_bot(visibility="own")
    admin = bot.chat(ADMIN, "Alice")
    colleague = await join(bot, 202, "Dan")
    actor = admin if role == "admin" else await join(bot, 301, "Mia", role=role)
    customer_ids = {}
    reminder_ids = {}
    for whose, chat, name in (("own", actor, "王小明"), ("others", colleague, "李雷")):
        await chat.press(await chat.say(f"/add {name} 1381234{len(customer_ids):04d}"), "Save")
        await chat.press(await chat.say(f"/remind {name} 明天下午3点 回电"), "Save")
        async with bot.database.unit_of_work() as session:
            customer_ids[whose] = int(await session.scalar(
                select(Customer.id).where(Customer.name == name)) or 0)
            reminder_ids[whose] = int(await session.scalar(
                select(Reminder.id).where(Reminder.customer_id == customer_ids[whose])) or 0)
    column = ROLES.index(role)
    for action, on_own, on_others in MATRIX:
        for whose, allowed in (("own", on_own[column]), ("others", on_others[column])):
            cid, rid = customer_ids[whose], reminder_ids[whose]
            before = await snapshot(bot, cid)
            answer = await action(actor, cid, rid)
            refused = any(r in answer for r in REFUSALS)
            assert "Something went wrong" not in answer
            assert refused != allowed, f"{role} {action.__name__} {whose}: {answer!r}"
            if not allowed:
                assert await snapshot(bot, cid) == before, f"{role} {action.__name__} {whose}"

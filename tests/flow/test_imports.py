"""Importing and exporting through the whole Application: upload -> columns -> change a
column -> preview -> choices -> Import -> report and result file; undo; refusals; /export
with filters and a rep's visibility; the vCard button and a many-card .vcf."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from bot.process.transports.fakeapi import BotMessage
from storage.models import (
    AuditEntry,
    ContactPoint,
    Customer,
    ImportJob,
    Payment,
    Purchase,
    Reminder,
)
from tests.flow.conftest import ADMIN, join
from tests.harness import Chat, poll_until
from tests.sheets import customer_sheet


def sheet_rows(content: bytes, index: int = 0) -> list[list[Any]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows: list[list[Any]] = book.get_sheet_by_index(index).to_python()
    return rows


def file_of(chat: Chat, message: BotMessage) -> bytes:
    assert message.document is not None
    return chat.api.files[message.document["file_id"]][1]


async def press(chat: Chat, message: BotMessage, label: str, expect: str) -> BotMessage:
    """Presses a button whose work runs in the background; waits for the message (or a new
    one) to say `expect`."""
    before = len(chat.inbox())
    await chat.press_data(message, message.button_data(label))
    return await poll_until(lambda: next(
        (m for m in [message, *chat.inbox()[before:]] if expect in m.text), None))


async def upload(chat: Chat, name: str, data: bytes, expect: str = "Columns") -> BotMessage:
    reply = await chat.send_file(name, data, "text/csv")
    return await poll_until(lambda: reply if expect in reply.text else None)


async def report(chat: Chat) -> BotMessage:
    return await poll_until(lambda: next(
        (m for m in chat.inbox() if m.document and "✅ Import #" in m.text), None), timeout=30)


async def test_upload_change_a_column_preview_import_and_report(make_bot: Callable[..., Any]
                                                                ) -> None:
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    sheet = customer_sheet(60, bad_every=12, duplicate_every=20)
    card = await upload(alice, "客户.csv", sheet.csv_bytes("gbk"))
    assert "Header in row 3; 60 rows." in card.text
    assert "A 客户名称 → name" in card.text and "C 邮箱 → email" in card.text
    assert "Read as gb18030." in card.text
    choose = await press(alice, card, "C✏️", "Which field is column 3")
    card = await press(alice, choose, "Ignore this column", "C 邮箱 → — ignored")
    preview = await press(alice, card, "Preview", "Preview of")
    assert "60 rows: 55 valid, 5 with problems." in preview.text
    assert len(sheet.duplicate_rows) == 2
    assert "Repeated in the file: 2 → update the record" in preview.text
    assert "Row 15: “12345” is not a valid phone number." in preview.text
    preview = await press(alice, preview, "Repeated in the file", "Repeated in the file: 2 → "
                          "import as new")
    preview = await press(alice, preview, "Repeated in the file",
                          "Repeated in the file: 2 → skip")
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 0  # nothing yet
    await press(alice, preview, "Import 53", "I will send the report")
    done = await report(alice)
    assert "created: 53" in done.text and "not imported: 5" in done.text
    assert "skipped: 2" in done.text
    rows = sheet_rows(file_of(alice, done))
    assert rows[0] == ["Sheet", "Row", "Outcome", "Code", "Reason"]
    assert ["Customers", "15", "not imported", "", "“12345” is not a valid phone number."] in rows
    assert sum(1 for r in rows if r[2] == "created") == 53
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 53
        assert await session.scalar(select(func.count(ContactPoint.id)).where(
            ContactPoint.kind == "email")) == 0  # the ignored column
        assert await session.scalar(select(func.count(Reminder.id))) == sum(
            1 for i, r in enumerate(sheet.rows) if r[8] and i not in sheet.bad_rows
            and i not in sheet.duplicate_rows)
        customer = await session.scalar(select(Customer).where(
            Customer.name == sheet.rows[1][0]))
        assert customer is not None and customer.tier == "important"
        assert customer.quiet_since is not None and customer.quiet_since.date().isoformat(
        ) == "2026-02-02"
        code = customer.code
    history = await alice.say(f"/history {code}")
    assert "Alice: imported it from a file" in history.text
    assert "file: — → 客户.csv" in history.text and "row: — → 5" in history.text
    # Undo, asked first; the second press of the same button changes nothing.
    ask = await press(alice, done, "Undo import", "Undo import #1")
    undone = await press(alice, ask, "Undo import", "is undone: 53 records deleted")
    assert undone
    await alice.press_data(ask, "im:1:undo!")
    await poll_until(lambda: "already undone" in alice.inbox()[-1].text)
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 0


async def test_refusals_leave_nothing_behind(make_bot: Callable[..., Any]) -> None:
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    empty = await alice.send_file("empty.csv", b"", "text/csv")
    assert "empty" in empty.text or await poll_until(lambda: "empty" in empty.text)
    picture = await upload(alice, "photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200),
                           expect="not a spreadsheet")
    assert "another kind of file" in picture.text
    header_only = await upload(alice, "head.csv", "姓名,电话\n".encode(), expect="Columns")
    preview = await press(alice, header_only, "Preview", "Preview of")
    assert "Import" not in " ".join(preview.button_labels)
    bob = await join(bot, 201, "Bob", "rep")
    refused = await bob.send_file("客户.csv", customer_sheet(3).csv_bytes("utf-8"), "text/csv")
    assert "Only a manager or an admin" in refused.text
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 0
        assert await session.scalar(select(func.count(ImportJob.id)).where(
            ImportJob.status == "running")) == 0


async def test_a_file_over_the_size_limit_is_refused(make_bot: Callable[..., Any]) -> None:
    bot = await make_bot(imports={"max_mb": 0.01})
    alice = bot.chat(ADMIN, "Alice")
    refused = await alice.send_file("big.csv", customer_sheet(200).csv_bytes("utf-8"),
                                    "text/csv")
    assert "an import takes at most 0.01 MB" in refused.text
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(ImportJob.id))) == 0


async def test_same_file_twice_is_refused(make_bot: Callable[..., Any]) -> None:
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    data = customer_sheet(5).csv_bytes("utf-8")
    card = await upload(alice, "a.csv", data)
    preview = await press(alice, card, "Preview", "Preview of")
    await press(alice, preview, "Import 5", "I will send the report")
    await report(alice)
    again = await alice.send_file("a.csv", data, "text/csv")
    await poll_until(lambda: "already imported (import #1" in again.text)
    assert "Nothing was imported twice." in again.text
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 5
        assert await session.scalar(select(func.count(ImportJob.id))) == 1


async def test_export_with_filters_and_a_reps_view(make_bot: Callable[..., Any]) -> None:
    bot = await make_bot(visibility="own")
    alice = bot.chat(ADMIN, "Alice")
    bob = await join(bot, 201, "Bob", "rep")
    await alice.say("/add 王小明 13812345678 =HYPERLINK(\"x\") 上海 #展会")
    await alice.press(alice.inbox()[-1], "Save")
    await bob.say("/add 李雷 13912345678 明日物流 北京")
    await bob.press(bob.inbox()[-1], "Save")
    await alice.say("/add Acme Person +12025550123 Acme")
    await alice.press(alice.inbox()[-1], "Save")
    await alice.press(await alice.say("王小明 买了 2 台 X1，共 2 万"), "Save")
    await alice.press(await alice.say("王小明回款 5000 元"), "Save")
    await alice.press(await alice.say("王小明投诉发货太慢"), "Save")

    async def exported(chat: Chat, command: str) -> list[list[Any]]:
        before = len(chat.inbox())
        await chat.send(command)
        sent = await poll_until(lambda: next(
            (m for m in chat.inbox()[before:] if m.document), None))
        return sheet_rows(file_of(chat, sent))

    everything = await exported(alice, "/export")
    assert everything[0][:3] == ["Code", "Name", "Company"]
    assert {r[1] for r in everything[1:]} == {"王小明", "李雷", "Acme Person"}
    wang = next(r for r in everything if r[1] == "王小明")
    assert wang[2] == "'=HYPERLINK(\"x\")"  # shown as text, never run
    assert wang[6] == "138 1234 5678" and wang[12] == "展会"
    assert everything[0][22:] == ["Paid", "Outstanding", "Open requests", "Last survey",
                                 "Email opt-out"]
    assert wang[22:25] == ["¥5,000", "¥15,000", "1"]
    assert [r[1] for r in (await exported(alice, "/export tag:展会"))[1:]] == ["王小明"]
    assert [r[1] for r in (await exported(alice, "/export region:北京"))[1:]] == ["李雷"]
    assert [r[1] for r in (await exported(bob, "/export"))[1:]] == ["李雷"]
    bad = await alice.say("/export colour:red")
    assert "Unknown filter" in bad.text
    async with bot.database.unit_of_work() as session:
        assert await session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "export_table")) == 4


async def test_vcard_button_sends_a_contact_and_a_vcf(make_bot: Callable[..., Any]) -> None:
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    await alice.say("/add 王小明 13812345678 wang@example.cn 星辰科技 上海")
    card = await alice.press(alice.inbox()[-1], "Save")
    before = len(alice.inbox())
    await alice.press_data(card, card.button_data("vCard"))
    contact, document = alice.inbox()[before:]
    assert contact.contact is not None
    assert contact.contact["phone_number"] == "+8613812345678"
    assert "FN:王小明" in contact.contact["vcard"]
    text = file_of(alice, document).decode()
    assert "TEL;TYPE=CELL:+8613812345678" in text and "ORG:星辰科技" in text
    assert "EMAIL;TYPE=INTERNET:wang@example.cn" in text


async def test_an_address_book_vcf_goes_through_the_preview(make_bot: Callable[..., Any]
                                                            ) -> None:
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:联系人{i}\r\nN:联系人{i};;;;\r\n"
        f"TEL;TYPE=CELL:+86 139 0000 {i:04d}\r\nORG:公司{i}\r\nEND:VCARD\r\n" for i in range(12))
    reply = await alice.send_file("通讯录.vcf", cards.encode(), "text/vcard")
    card = await poll_until(lambda: reply if "Columns" in reply.text else None)
    assert "12 rows" in card.text and "A name → name" in card.text
    preview = await press(alice, card, "Preview", "Preview of")
    assert "New: 12" in preview.text
    await press(alice, preview, "Import 12", "I will send the report")
    assert "created: 12" in (await report(alice)).text


async def test_export_then_import_into_an_empty_database_round_trips(
        make_bot: Callable[..., Any]) -> None:
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    await join(bot, 201, "Bob", "rep")
    card = await upload(alice, "first.csv", customer_sheet(40).csv_bytes("gbk"))
    preview = await press(alice, card, "Preview", "Preview of")
    await press(alice, preview, "Import 40", "I will send the report")
    await report(alice)
    await alice.say("/add Ann Lee +1 202 555 0123 ann@acme.com ann2@acme.com Acme #vip #expo")
    await alice.press(alice.inbox()[-1], "Save")

    async def snapshot() -> list[tuple[Any, ...]]:
        async with bot.database.unit_of_work() as session:
            customers = list(await session.scalars(select(Customer).order_by(Customer.name)))
            due = {r.customer_id: r.due_at for r in await session.scalars(
                select(Reminder).where(Reminder.status == "open"))}
            return [(c.name, c.company, c.title, c.region, c.tier, c.stage, c.owner_id,
                     sorted(f"{p.kind}:{p.value}" for p in c.contacts),
                     sorted(t.name for t in c.tags), due.get(c.id)) for c in customers]

    before = await snapshot()
    sent_before = len(alice.inbox())
    await alice.send("/export")
    exported = await poll_until(lambda: next(
        (m for m in alice.inbox()[sent_before:] if m.document), None))
    async with bot.database.unit_of_work() as session:
        from sqlalchemy import delete

        await session.execute(delete(Customer))
    card = await upload(alice, "customers.xlsx", file_of(alice, exported))
    assert "A Code → code" in card.text and "H Other phones → phone" in card.text
    assert "I Email → email" in card.text
    assert "Calls and visits from sheet Interactions" in card.text
    preview = await press(alice, card, "Preview", "Preview of")
    await press(alice, preview, "Import", "I will send the report")
    await poll_until(lambda: any("✅ Import #2" in m.text for m in alice.inbox()))
    assert await snapshot() == before


async def test_paid_and_outstanding_columns_carry_the_debt_over(
        make_bot: Callable[..., Any]) -> None:
    """A sheet's 已回款 / 待回款 become an opening balance on each new record: owed in
    /receivables and on the card, nothing counted as collected; a cell that is no amount
    is a row problem, said in the report."""
    bot = await make_bot()
    alice = bot.chat(ADMIN, "Alice")
    sheet = ("姓名,手机,已回款,待回款\n"
             "王一,13800000001,\"¥5,000\",1.5万\n"
             "李二,13800000002,,$800\n"
             "张三,13800000003,很多,\n"
             "赵四,13800000004,,\n").encode()
    card = await upload(alice, "回款.csv", sheet)
    assert "C 已回款 → paid" in card.text and "D 待回款 → outstanding" in card.text
    preview = await press(alice, card, "Preview", "Preview of")
    assert "3 valid, 1 with problems" in preview.text
    await press(alice, preview, "Import 3", "I will send the report")
    await report(alice)
    async with bot.database.unit_of_work() as session:
        rows = [(c.name, p.currency, p.amount_minor, p.paid_minor) for p, c in
                await session.execute(select(Purchase, Customer).join(
                    Customer, Customer.id == Purchase.customer_id).order_by(Purchase.id))]
        payments = await session.scalar(select(func.count(Payment.id)))
    assert sorted(rows) == [("李二", "USD", 80_000, 0), ("王一", "CNY", 2_000_000, 500_000)]
    assert payments == 0  # an opening balance is not money collected now
    text = (await alice.say("/receivables")).text
    assert "¥15,000" in text and "$800" in text
    assert "Owed: ¥15,000" in (await alice.say("/find 王一")).text

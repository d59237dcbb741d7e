"""The import services without Telegram: files read, columns found, rows checked,
classified, written in batches, resumed, undone; the export read back in."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.tables.importing import Reading, as_previewed, check, classified, read_layout, write
from bot.tables.spool import spooled
from bot.tables.spreadsheets import UnreadableFile, cell_text, read_workbook
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.errors import Conflict
from storage.imports import jobs, writer
from storage.imports.cells import sheet_date
from storage.imports.columns import field_for, find_header, guess_mapping
from storage.imports.preview import Kind, RowOptions, prepare_rows
from storage.models import (
    AuditEntry,
    ContactPoint,
    Customer,
    ImportFile,
    ImportJob,
    ImportStatus,
    Interaction,
    Reminder,
)
from storage.search.lookup import search_customers
from storage.search.names import pinyin_key
from tests.conftest import make_member
from tests.sheets import customer_sheet, messy_workbook, phone_of

OPTIONS = RowOptions(default_region="CN", timezone="Asia/Shanghai", default_hour=9)


def read(folder: Path, name: str, data: bytes) -> Reading:
    """The file as an import's worker reads it: spooled beside the upload, then laid out."""
    path = folder / "upload"
    path.write_bytes(data)
    return read_layout(spooled(name, path), None, None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16", "big5"])
def test_csv_in_every_encoding_is_read_with_its_title_row_skipped(encoding: str,
                                                                   tmp_path: Path) -> None:
    sheet = customer_sheet(30)
    delimiter = "\t" if encoding == "utf-16" else ","  # Excel's "Unicode text" uses tabs
    if encoding != "big5":
        data = sheet.csv_bytes(encoding, delimiter=delimiter)
    else:  # Big5 has no simplified characters: a traditional sheet
        sheet.rows = [[f"陳大文{i}", "0912345678", "", "台積電", "台北"] for i in range(30)]
        data = ("台灣客戶名單\r\n\r\n姓名,手機,郵箱,公司,城市\r\n" + "\r\n".join(
            ",".join(r) for r in sheet.rows)).encode("big5")
    reading = read(tmp_path, "客户.csv", data)
    layout = reading.layout
    assert layout.header_row == 3
    assert layout.mapping[:5] == ["name", "phone", "email", "company", "region"]
    assert layout.row_count == 30 and len(reading.customers[0:100]) == 30
    assert reading.customers[0:1][0][1][0] == sheet.rows[0][0]
    assert reading.customers[29:30][0][0] == 33  # as the spreadsheet numbers it


def test_headers_in_many_words_map_to_fields() -> None:
    assert guess_mapping(["客户姓名*", "手机号码（必填）", "E-mail", "工作单位", "Job Title",
                          "所在城市", "客户等级", "归属销售", "最近联系时间", "下次跟进日期",
                          "其他电话", "不知道"]) == [
        "name", "phone", "email", "company", "title", "region", "tier", "owner",
        "last_contact", "next_followup", "phone", None]
    assert field_for("Company Name") == "company"
    assert find_header([["报表"], [], ["序号", "姓名", "电话"], ["1", "王", "138"]]) == 2


def test_cells_and_dates_as_sheets_hold_them() -> None:
    assert cell_text(13812345678.0) == "13812345678"
    assert cell_text("'=1+2") == "=1+2"  # our own export's neutralising apostrophe
    zone = OPTIONS.timezone
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo(zone)
    expected = datetime(2024, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    for text in ("2024-03-05", "2024/3/5", "2024年3月5日", "05.03.2024", "3/5/2024", "45356"):
        assert sheet_date(text, shanghai, 9, "last_contact") == expected, text
    assert sheet_date("2024-03-05 14:30", shanghai, 9, "x") == datetime(2024, 3, 5, 6, 30,
                                                                         tzinfo=UTC)


def test_a_workbooks_cells_are_read_as_a_person_sees_them() -> None:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("客户")
    sheet.write_row(2, 1, [" 姓名 ", "'=1+2", 13812345678.0, True])  # from B3, as people do
    book.close()
    assert read_workbook("x.xlsx", buffer.getvalue()).tables[0].rows == [
        [], [], ["", "姓名", "=1+2", "13812345678", "TRUE"]]


def test_bad_files_are_refused_with_a_reason() -> None:
    cases = {
        ("empty.csv", b""): "empty",
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 100): "not a spreadsheet",
        ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600): "password",
        ("notes.pdf", b"%PDF-1.4"): "I can import",
    }
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (400 * 1024 * 1024))
    cases[("bomb.xlsx", bomb.getvalue())] = "unpacks"
    for (name, data), reason in cases.items():
        with pytest.raises(UnreadableFile) as caught:
            read_workbook(name, data)
        assert reason in str(caught.value), name


def test_a_messy_workbook_with_a_calls_sheet(tmp_path: Path) -> None:
    reading = read(tmp_path, "台账.xlsx", messy_workbook())
    layout = reading.layout
    assert layout.sheet == "客户" and layout.header_row == 3
    assert layout.mapping == ["name", "phone", "company", "region", "last_contact", "owner"]
    assert layout.logs_sheet == "通话记录" and layout.logs_count == 2
    assert len(reading.logs[0:10]) == 2
    assert layout.rows[0][1][1] == "13812345678"


async def _job(db: Database, data: bytes, name: str = "客户.csv") -> int:
    admin = await make_member(db, 1, "Alice", role="admin")
    async with db.unit_of_work() as session:
        job = await jobs.create_job(session, admin, name, data)
        return job.id


async def test_an_upload_is_kept_in_parts_and_comes_back_whole(db: Database,
                                                                tmp_path: Path) -> None:
    admin = await make_member(db, 1, "Alice", role="admin")
    data = bytes(range(256)) * (jobs.PART_BYTES // 128 + 7)  # two parts and a bit
    on_disk = tmp_path / "big.csv"
    on_disk.write_bytes(data[::-1])
    async with db.unit_of_work() as session:
        sent = await jobs.create_job(session, admin, "sent.csv", data)
        served = await jobs.create_job(session, admin, "big.csv", on_disk)
    async with db.unit_of_work() as session:
        assert await jobs.file_of(session, sent.id) == data
        await jobs.copy_file(session, served.id, tmp_path / "copy")
        parts = await session.scalars(select(ImportFile.part).where(
            ImportFile.import_id == served.id).order_by(ImportFile.part))
        assert list(parts) == [0, 1, 2]
    assert (tmp_path / "copy").read_bytes() == data[::-1]
    assert sent.sha256 != served.sha256


async def test_temporary_copies_go_when_no_import_needs_them(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    from bot.tables import importing

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(importing, "_files", {})  # the copies other tests left are theirs
    left = tmp_path / f"{importing.FOLDER_PREFIX}left-by-a-stopped-bot"
    left.mkdir()
    os.utime(left, (0, 0))
    kept_id = await _job(db, customer_sheet(5).csv_bytes("utf-8"), "a.csv")
    cancelled_id = await _job(db, customer_sheet(6).csv_bytes("utf-8"), "b.csv")
    for job_id in (kept_id, cancelled_id):
        async with db.unit_of_work() as session:
            job = await session.get(ImportJob, job_id)
            assert job is not None
            await check(db, job, OPTIONS)
    def copies() -> list[Path]:
        return sorted(tmp_path.glob(f"{importing.FOLDER_PREFIX}*"))

    assert len(copies()) == 3
    async with db.unit_of_work() as session:
        cancelled = await session.get(ImportJob, cancelled_id)
        assert cancelled is not None
        await jobs.cancel(session, cancelled)
    assert await importing.drop_stale_copies(db) == 2  # the cancelled one's, the stopped bot's
    [still] = copies()
    assert any(p.suffix == ".spool" for p in still.iterdir())  # the waiting preview's
    async with db.unit_of_work() as session:
        assert (await session.get(ImportJob, kept_id)) is not None


async def _confirm(db: Database, job_id: int) -> None:
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        jobs.start(job, 0)


async def test_preview_counts_then_write_in_batches(db: Database) -> None:
    sheet = customer_sheet(300, bad_every=33, duplicate_every=50)
    admin = await make_member(db, 1, "Alice", role="admin")
    async with db.unit_of_work() as session:  # one record that the file repeats
        await create_customer(session, CustomerDraft(name="老客户", phones=[phone_of(10)]),
                              admin, default_region="CN")
    job_id = await _job(db, sheet.csv_bytes("gbk"))
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        checked = await check(db, job, OPTIONS)
    preview = checked.preview
    assert preview.rows == 300
    assert preview.invalid == len(sheet.bad_rows) == 9
    assert preview.in_file == len(sheet.duplicate_rows)
    assert preview.certain == 1
    assert preview.followups == sum(1 for r in sheet.rows if r[8]) - sum(
        1 for i in sheet.bad_rows if sheet.rows[i][8])
    assert preview.problems[0][1].field == "phone"
    await _confirm(db, job_id)
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    assert await write(db, job_id, OPTIONS, batch=100, progress=progress)
    assert seen[-1] == (300, 300) and len(seen) == 3
    async with db.unit_of_work() as session:
        created = await session.scalar(select(func.count(Customer.id)))
        counts = await writer.counts(session, job_id)
        updated = await session.scalar(select(Customer).where(Customer.name == "老客户"))
        assert updated is not None and updated.company == "公司10有限公司"
        audit = await session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "import"))
    new = 300 - 9 - len(sheet.duplicate_rows) - 1
    assert created == 1 + new
    assert counts == {"created": new, "invalid": 9, "updated": 1 + len(sheet.duplicate_rows)}
    assert audit == 1 + len(sheet.duplicate_rows)  # updates; created ones: import_rows
    async with db.unit_of_work() as session:  # the result file: every row, or the others
        every, complete = await writer.result_rows(session, job_id)
        others, listed_all = await writer.result_rows(session, job_id, limit=250)
    assert complete and [r.row for r in every] == list(range(4, 304))  # under the header
    assert not listed_all and len(others) == 300 - new
    assert {r.outcome for r in others} == {"invalid", "updated"}
    name, phone, email, company = sheet.rows[3][:4]  # a row written in bulk, terms and all
    async with db.unit_of_work() as session:
        for query in (name, pinyin_key(name), phone[-8:], email, company):
            found = [h.name for h in await search_customers(session, query, admin)]
            assert name in found, query


async def test_the_same_file_twice_creates_nothing_twice(db: Database) -> None:
    data = customer_sheet(20).csv_bytes("utf-8")
    job_id = await _job(db, data)
    await _confirm(db, job_id)
    assert await write(db, job_id, OPTIONS, batch=50)
    admin = await make_member(db, 1, "Alice", role="admin")
    async with db.unit_of_work() as session:
        with pytest.raises(Conflict):
            await jobs.create_job(session, admin, "again.csv", data)
    # The same rows in another file: every row is a certain duplicate, none is created.
    job_id = await _job(db, data + b"\r\n", "copy.csv")
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        checked = await check(db, job, OPTIONS)
    assert checked.preview.certain == 20 and checked.preview.new == 0


async def test_the_write_uses_the_preview_unless_records_changed_meanwhile(db: Database
                                                                          ) -> None:
    """The preview's classification is used while the records are as they were; a
    colleague's record added since (with the phone of row 5) makes the write classify
    again, and the row goes into that record instead of becoming a second one."""
    sheet = customer_sheet(40)
    admin = await make_member(db, 1, "Alice", role="admin")
    job_id = await _job(db, sheet.csv_bytes("utf-8"))
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        assert (await check(db, job, OPTIONS)).preview.new == 40
    await _confirm(db, job_id)
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
    assert await as_previewed(db, job, OPTIONS) is not None
    async with db.unit_of_work() as session:
        await create_customer(session, CustomerDraft(name="同事的客户", phones=[sheet.rows[5][1]]),
                              admin, default_region="CN")
    assert await as_previewed(db, job, OPTIONS) is None
    assert await write(db, job_id, OPTIONS, batch=15)
    async with db.unit_of_work() as session:
        counts = await writer.counts(session, job_id)
        theirs = await session.scalar(select(Customer).where(Customer.name == "同事的客户"))
        assert theirs is not None and theirs.company == sheet.rows[5][3]
    assert counts == {"created": 39, "updated": 1}


async def test_an_interrupted_import_resumes_without_writing_a_row_twice(db: Database) -> None:
    job_id = await _job(db, customer_sheet(250).csv_bytes("utf-8"))
    await _confirm(db, job_id)

    async def die_after_two_batches(done: int, total: int) -> None:
        if done >= 200:
            raise KeyboardInterrupt  # as a kill would, between two batches

    with pytest.raises(KeyboardInterrupt):
        await write(db, job_id, OPTIONS, batch=100, progress=die_after_two_batches)
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 200
    assert await write(db, job_id, OPTIONS, batch=100)
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 250
        assert await session.scalar(select(func.count(func.distinct(ContactPoint.value))).where(
            ContactPoint.kind == "phone")) == 250
        job = await session.get(ImportJob, job_id)
        assert job is not None and job.status == ImportStatus.DONE
    assert not await write(db, job_id, OPTIONS, batch=100)  # finished: nothing more


async def test_undo_takes_the_whole_import_back_unless_changed(db: Database) -> None:
    admin = await make_member(db, 1, "Alice", role="admin")
    async with db.unit_of_work() as session:
        await create_customer(session, CustomerDraft(name="老客户", phones=[phone_of(3)]),
                              admin, default_region="CN")
    job_id = await _job(db, customer_sheet(40).csv_bytes("utf-8"))
    await _confirm(db, job_id)
    assert await write(db, job_id, OPTIONS, batch=15)
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count(Reminder.id))) == 10
        assert await session.scalar(select(func.count(Interaction.id))) == 6
    async with db.unit_of_work() as session:
        result = await writer.undo_import(session, admin, job_id)
    assert result == {"deleted": 39, "restored": 1}
    async with db.unit_of_work() as session:
        left = list(await session.scalars(select(Customer)))
        assert [c.name for c in left] == ["老客户"] and left[0].company is None
        assert await session.scalar(select(func.count(Reminder.id))) == 0
        assert await session.scalar(select(func.count(Interaction.id))) == 0
        with pytest.raises(Conflict):
            await writer.undo_import(session, admin, job_id)


async def test_undo_is_refused_once_a_record_was_changed(db: Database) -> None:
    admin = await make_member(db, 1, "Alice", role="admin")
    job_id = await _job(db, customer_sheet(5).csv_bytes("utf-8"))
    await _confirm(db, job_id)
    assert await write(db, job_id, OPTIONS, batch=15)
    async with db.unit_of_work() as session:
        from storage.customers import update_field

        customer = await session.scalar(select(Customer).limit(1))
        assert customer is not None
        await update_field(session, customer, "title", "CEO", admin, default_region="CN")
    async with db.unit_of_work() as session:
        with pytest.raises(Conflict) as caught:
            await writer.undo_import(session, admin, job_id)
    assert "changed since" in caught.value.message
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 5


async def test_messy_workbook_imports_with_its_calls(db: Database) -> None:
    job_id = await _job(db, messy_workbook(), "台账.xlsx")
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        items = [i async for part, _ in classified(db, job, OPTIONS) for i in part]
    kinds = {i.candidate.row: i.kind for i in items}
    # Row 5's owner is Alice, a member; row 7's "Nobody" is not; 1500.0 is no phone.
    assert kinds == {4: Kind.NEW, 5: Kind.NEW, 6: Kind.INVALID, 7: Kind.INVALID}
    reasons = {i.candidate.row: i.problems[0].field for i in items if i.problems}
    assert reasons == {6: "phone", 7: "owner"}
    await _confirm(db, job_id)
    assert await write(db, job_id, OPTIONS, batch=10)
    async with db.unit_of_work() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "王小明"))
        assert customer is not None
        assert customer.contact_values("phone") == ["+8613812345678"]
        assert customer.last_contact_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        rows = await writer.outcomes(session, job_id)
    assert [(r.sheet, r.row, r.outcome) for r in rows if r.sheet == 1] == [
        (1, 2, "logged"), (1, 3, "invalid")]


def test_utf16_excel_text_is_tab_separated() -> None:
    data = codecs.BOM_UTF16_LE + "姓名\t电话\n王小明\t13812345678\n".encode("utf-16-le")
    book = read_workbook("x.txt", data)
    assert book.tables[0].rows == [["姓名", "电话"], ["王小明", "13812345678"]]


async def test_a_csv_with_a_formula_in_every_cell(db: Database) -> None:
    data = ("姓名,电话\n" + "\n".join(f"=HYPERLINK(\"x{i}\"),=1+{i}" for i in range(5))
            ).encode()
    job_id = await _job(db, data)
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        checked = await check(db, job, OPTIONS)
    assert checked.preview.invalid == 5
    assert "formula" in checked.preview.problems[0][1].message


async def test_stop_writing_when_another_writer_has_moved_on(db: Database) -> None:
    job_id = await _job(db, customer_sheet(10).csv_bytes("utf-8"))
    await _confirm(db, job_id)
    async with db.unit_of_work() as session:
        await session.execute(update(ImportJob).values(status=ImportStatus.CANCELLED))
    assert not await write(db, job_id, OPTIONS, batch=5)


def test_wide_rows_float_phones_and_lost_digits(tmp_path: Path) -> None:
    wide = ",".join(["姓名", "电话"] + [f"列{i}" for i in range(498)]) + "\n" + ",".join(
        ["王小明", "13812345678.0"] + ["x"] * 498) + "\n李雷,1.38E+10\n"
    reading = read(tmp_path, "wide.csv", wide.encode())
    layout = reading.layout
    assert layout.columns_left_out == 500 - 64 and len(layout.mapping) == 64
    first, second = prepare_rows(reading.customers[0:2], layout.mapping, OPTIONS)
    assert first.draft is not None and first.draft.phones == ["+8613812345678"]
    assert second.draft is None
    assert "scientific notation" in second.problems[0].message


async def test_a_file_of_calls_alone_goes_onto_the_timelines(db: Database) -> None:
    admin = await make_member(db, 1, "Alice", role="admin")
    async with db.unit_of_work() as session:
        customer = await create_customer(session, CustomerDraft(
            name="王小明", phones=["13812345678"]), admin, default_region="CN")
    calls = ("日期,客户,电话,方式,内容,下次跟进\n"
             f"2026-11-18 15:00,,13812345678,拜访,谈了报价,{date.today() + timedelta(days=3)}\n"
             f"2026-11-19,{customer.code},,电话,确认数量,\n"
             "2026-11-19,没有这个人,,电话,无,\n").encode()
    job_id = await _job(db, calls, "通话记录.csv")
    async with db.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        checked = await check(db, job, OPTIONS)
    assert checked.layout.logs_only and checked.preview.logs == 3
    await _confirm(db, job_id)
    assert await write(db, job_id, OPTIONS, batch=10)
    async with db.unit_of_work() as session:
        entries = list(await session.scalars(select(Interaction).order_by(Interaction.id)))
        assert [(e.kind, e.summary) for e in entries] == [("meeting", "谈了报价"),
                                                          ("call", "确认数量")]
        fresh = await session.get(Customer, customer.id)
        assert fresh is not None
        assert fresh.last_contact_at == datetime(2026, 11, 19, 1, 0, tzinfo=UTC)  # 09:00 local
        assert await session.scalar(select(func.count(Reminder.id))) == 1
        rows = await writer.outcomes(session, job_id)
    assert [r.outcome for r in rows] == ["logged", "logged", "invalid"]


async def test_previews_left_for_a_day_lose_their_files(
        db: Database, frozen_time: Any) -> None:
    job_id = await _job(db, customer_sheet(3).csv_bytes("utf-8"))
    async with db.unit_of_work() as session:
        assert await jobs.drop_abandoned(session) == 0
    frozen_time.shift(timedelta(hours=25))
    async with db.unit_of_work() as session:
        assert await jobs.drop_abandoned(session) == 1
        job = await session.get(ImportJob, job_id)
        assert job is not None and job.status == ImportStatus.CANCELLED
        assert await jobs.file_of(session, job_id) == b""


def test_a_batch_on_sqlite_holds_the_write_lock_about_a_turn() -> None:
    """Every other write waits for the batch in hand (the inbox's storing of a member's
    message included): the next batch is as many rows as the last one's pace fits in
    `TURN`, within `FEWEST` and the configured batch."""
    assert writer.rows_within_turn(2000, 1.0, 2000) == int(2000 * writer.TURN)
    assert writer.rows_within_turn(400, 0.1, 2000) == int(4000 * writer.TURN)
    assert writer.rows_within_turn(2000, 0.05, 2000) == 2000
    assert writer.rows_within_turn(100, 60.0, 2000) == writer.FEWEST

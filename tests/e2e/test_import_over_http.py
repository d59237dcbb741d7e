"""Issue "move a whole team in and out" end to end: `salesbot run` in a child process over
real HTTP. A manager uploads a 10,000-row GBK CSV with a title row, 3% bad rows and 2%
duplicates, sees the columns and a correct preview, imports, gets the result file; the
gone-quiet clocks and follow-ups match the sheet; an export in Chinese comes back with
Chinese headers and no formula live. A second test kills the bot mid-import."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from bot.process.transports.fakeapi import BotMessage, FakeBotApi
from storage.database import Database
from storage.models import ContactPoint, Customer, ImportJob, ImportRow, Reminder
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_data_care_over_http import Person
from tests.harness import poll_until, poll_until_async
from tests.sheets import customer_sheet, followup_day

SETTINGS = ('[reminders]\ndigest_hour = -1\nnudges_per_day = 0\n'
            '[backup]\nhour = -1\nfolder = "backups"\n[imports]\nbatch = {batch}\n')
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sheet_of(api: FakeBotApi, message: BotMessage, index: int = 0) -> list[list[Any]]:
    assert message.document is not None
    content = api.files[message.document["file_id"]][1]
    rows: list[list[Any]] = CalamineWorkbook.from_filelike(
        io.BytesIO(content)).get_sheet_by_index(index).to_python()
    return rows


async def counted(database_url: str, statement: Any) -> int:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return int(await session.scalar(statement) or 0)
    finally:
        await database.dispose()


def local_nine(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=SHANGHAI).astimezone(UTC)


async def test_a_manager_moves_a_10000_row_gbk_sheet_in_and_exports_it(
        server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path) -> None:
    api, http = server
    bot = BotProcess(write_config(tmp_path, http.url, database_url,
                                  SETTINGS.format(batch=1000)))
    await bot.start(api)
    try:
        alice = Person(api, ADMIN, "Alice")
        await alice.says("/start", "Welcome")
        sheet = customer_sheet(10_000, bad_every=33, duplicate_every=50)
        bad, dupes = len(sheet.bad_rows), len(sheet.duplicate_rows)
        assert bad == 303 and dupes == 187  # 3% and about 2%
        new = 10_000 - bad - dupes
        before = len(alice.messages())
        api.user_sends_document(alice.person, "客户名单.csv", sheet.csv_bytes("gbk"), "text/csv")
        card = await alice.sees("Columns", after=before, timeout=60)
        assert "Header in row 3; 10,000 rows." in card.text
        assert "A 客户名称 → name" in card.text and "H 最后联系时间 → last contact" in card.text
        preview = await alice.presses(card, card.button_data("Preview"), "Preview of")
        await poll_until(lambda: "rows:" in preview.text, timeout=60)
        assert "10,000 rows: 9,697 valid, 303 with problems." in preview.text
        assert f"Repeated in the file: {dupes} → update the record" in preview.text
        assert f"New: {new:,}" in preview.text
        await alice.presses(preview, preview.button_data("Import 9,697"), "I will send")
        report = await alice.sees("✅ Import #1", timeout=120)
        assert f"created: {new:,}; updated: {dupes}; not imported: 303" in report.text
        result = sheet_of(api, report)
        assert len(result) == 10_001
        assert next(r[:3] for r in result if r[1] == "36") == ["Customers", "36", "not imported"]
        assert any("not a valid phone number" in str(r[4]) for r in result)
        assert sum(1 for r in result if str(r[4]).startswith("Added to C-")) == dupes

        # Clocks and follow-ups as the sheet says.
        database = Database(database_url)
        try:
            async with database.unit_of_work() as session:
                for index in (0, 1, 4, 1234, 9997):
                    assert index not in sheet.bad_rows | sheet.duplicate_rows
                    row = sheet.rows[index]
                    customer = await session.scalar(select(Customer).join(ContactPoint).where(
                        ContactPoint.value == "+86" + row[1]))
                    assert customer is not None and customer.name == row[0], row
                    assert customer.last_contact_at == local_nine(row[7])
                    assert customer.quiet_since == local_nine(row[7])
                due = list(await session.scalars(select(Reminder.due_at)))
                wanted = sum(1 for i, r in enumerate(sheet.rows) if r[8]
                             and i not in sheet.bad_rows)
                assert len(due) == wanted
                assert set(due) == {local_nine(followup_day())}
        finally:
            await database.dispose()

        # An export in Chinese: Chinese headers, a formula-like cell kept as text.
        card = await alice.says("/add 公式客户 13700000000 +SUM(A1)", "公式客户")
        await alice.presses(card, card.button_data("Save"), "Saved as")
        language = await alice.says("/lang", "Choose your language")
        await alice.presses(language, "lang:zh_CN", "中文")
        before = len(alice.messages())
        api.user_sends(alice.person, "/export")
        exported = await poll_until(lambda: next(
            (m for m in alice.messages()[before:] if m.document), None), timeout=60)
        rows = sheet_of(api, exported)
        assert rows[0][:3] == ["编号", "姓名", "公司"]
        assert len(rows) == 1 + new + 1
        assert next(r[1:3] for r in rows if r[1] == "公式客户") == ["公式客户", "'+SUM(A1)"]
    finally:
        await bot.stop()


async def test_a_bot_killed_mid_import_resumes_and_writes_nothing_twice(
        server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path) -> None:
    api, http = server
    config = write_config(tmp_path, http.url, database_url, SETTINGS.format(batch=50))
    bot = BotProcess(config)
    await bot.start(api)
    alice = Person(api, ADMIN, "Alice")
    await alice.says("/start", "Welcome")
    sheet = customer_sheet(12_000)
    before = len(alice.messages())
    api.user_sends_document(alice.person, "big.csv", sheet.csv_bytes("utf-8-sig"), "text/csv")
    card = await alice.sees("Columns", after=before, timeout=60)
    preview = await alice.presses(card, card.button_data("Preview"), "Preview of")
    await poll_until(lambda: "Import 12,000" in " ".join(preview.button_labels), timeout=60)
    await alice.presses(preview, preview.button_data("Import 12,000"), "I will send")

    async def written() -> int:
        return await counted(database_url, select(ImportJob.next_row))

    await poll_until_async(lambda: _at_least(written, 1000), timeout=60, interval=0.01)
    await bot.kill()
    position = await written()
    assert 0 < position < 12_000, "the import finished before the kill; make the sheet larger"
    # Whole batches only: every written row has its outcome, and nothing more.
    assert position % 50 == 0
    assert await counted(database_url, select(func.count(Customer.id))) == position
    assert await counted(database_url, select(func.count()).select_from(ImportRow)) == position
    progress = next(m for m in alice.messages() if m.text.startswith("⏳ Importing big.csv…"))

    bot = BotProcess(config)
    await bot.start(api)
    try:
        report = await alice.sees("✅ Import #1", timeout=120)
        assert "created: 12,000" in report.text
        assert await counted(database_url, select(func.count(Customer.id))) == 12_000
        assert await counted(database_url, select(func.count(func.distinct(
            ContactPoint.value))).where(ContactPoint.kind == "phone")) == 12_000
        assert "100%" in progress.text and progress.edits >= 2
        assert sum(1 for m in alice.messages() if m.text.startswith("⏳ Importing big.csv…")
                   ) == 1  # one progress message, edited, across the restart
    finally:
        await bot.stop()


async def _at_least(count: Any, target: int) -> bool:
    return bool(await count() >= target)


async def test_sigterm_while_a_worker_reads_a_sheet_stops_within_10_s(
        server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path) -> None:
    """Python's exit waits for a worker pool's work in hand; the bot ends its workers."""
    api, http = server
    bot = BotProcess(write_config(tmp_path, http.url, database_url, SETTINGS.format(batch=500)))
    await bot.start(api)
    alice = Person(api, ADMIN, "Alice")
    await alice.says("/start", "Welcome")
    api.user_sends_document(alice.person, "huge.csv",
                            customer_sheet(60_000).csv_bytes("utf-8-sig"), "text/csv")
    assert bot.process is not None
    parent = psutil.Process(bot.process.pid)
    workers = await poll_until(lambda: parent.children(recursive=True), timeout=30,
                               interval=0.01)
    code, taken, stderr = await bot.terminate()
    assert code == 0, stderr[-3000:]
    assert taken < 10

    def left() -> list[list[str]]:
        running = []
        for worker in workers:
            try:
                if worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE:
                    running.append(worker.cmdline()[-3:])
            except (psutil.ZombieProcess, psutil.NoSuchProcess):
                pass  # it ended between the two looks: a zombie is ended, as above
        return running

    # Workers ended with the bot, not after the sheet was read (the kernel may take a
    # moment to reap them; their leftover pipe-reader goes once the bot's end is closed).
    await poll_until(lambda: not left(), timeout=5)

"""An import from file to records, for the chat, the CLI and the resume at start.

The file goes to the worker processes (bot/runtime/workers.py) once, as a temporary file;
the first worker to describe it reads it once into a spool of parts on disk beside it
(bot/tables/spool.py), so no process holds the sheet. The bot then asks for the rows in
parts of CHUNK (2,000) rows: a worker checks a part (validation, pinyin) while the bot
classifies the previous one, and the bot never holds more than a few parts (a 100,000-row
file held whole took 240 MB in it). The preview keeps each checked part, and how it
classified it, beside the file; the confirmed write reads them back and has the workers
add the search terms while the bot writes the part before. It classifies the parts again
only if the records they were classified against changed since (`as_previewed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import pickle
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.messages.i18n import Translate, translator
from bot.messages.imports import OUTCOMES, reason_text
from bot.runtime import workers
from bot.tables.spool import NumberedRows, Spool, SpooledSheet, spooled
from bot.tables.spreadsheets import OutSheet, xlsx_bytes
from storage.database import Database
from storage.imports import jobs, writer
from storage.imports.columns import Layout, find_header, guess_mapping, is_interactions_table
from storage.imports.preview import (
    DEFAULT_CHOICES,
    Candidate,
    Checked,
    Choice,
    Classified,
    Classifier,
    Kind,
    LoggedRow,
    Preview,
    RowOptions,
    check_size,
    index,
    prepare_logs,
    prepare_rows,
    records_state,
)
from storage.models import ImportJob, format_code

CHUNK = 2000
SAMPLES = 3



def read_layout(spool: Spool, sheet: str | None, mapping: list[str | None] | None
                ) -> Reading:
    """The file's tables, the customers' one chosen (by the member, or the first that is
    not a sheet of calls), an interactions sheet beside it if there is one."""
    guessed = {s.name: _guess(s.head) for s in spool.sheets}
    if sheet is None:
        sheet = next((s.name for s in spool.sheets
                      if not is_interactions_table(guessed[s.name][1])), spool.sheets[0].name)
    table = next((s for s in spool.sheets if s.name == sheet), spool.sheets[0])
    header_index, found = guessed[table.name]
    if mapping is not None:
        found = (mapping + [None] * len(found))[:max(len(found), len(mapping))]
    header = table.head[header_index] if table.head else []
    layout = Layout([s.name for s in spool.sheets], table.name, header_index + 1, header,
                    found, [], columns_left_out=table.columns_left_out,
                    encoding=spool.encoding)
    reading = Reading(layout)
    if is_interactions_table(found):
        layout.logs_sheet, layout.logs_mapping = table.name, found
        reading.logs = Rows(table, table.rows_after(header_index + 1))
    else:
        reading.customers = Rows(table, table.rows_after(header_index + 1))
        for other in spool.sheets:
            if other.name != table.name and is_interactions_table(guessed[other.name][1]):
                layout.logs_sheet, layout.logs_mapping = other.name, guessed[other.name][1]
                reading.logs = Rows(other, other.rows_after(guessed[other.name][0] + 1))
                break
    layout.row_count, layout.logs_count = reading.customers.count, reading.logs.count
    layout.rows, layout.logs_rows = reading.customers[:SAMPLES], reading.logs[:SAMPLES]
    return reading


def _guess(head: list[list[str]]) -> tuple[int, list[str | None]]:
    index = find_header(head)
    return index, guess_mapping(head[index] if head else [])


@dataclass(frozen=True)
class Rows:
    """The data rows of a spooled sheet: those after its header."""

    sheet: SpooledSheet | None = None
    skip: int = 0  # the sheet's non-empty rows down to its header

    @property
    def count(self) -> int:
        return self.sheet.count - self.skip if self.sheet is not None else 0

    def __getitem__(self, part: slice) -> NumberedRows:
        start = part.start or 0
        stop = self.count if part.stop is None else min(part.stop, self.count)
        if self.sheet is None or start >= stop:
            return []
        return self.sheet.rows(self.skip + start, self.skip + stop)


@dataclass
class Reading:
    """How the worker reads the file: its layout (with a few rows as samples) and where
    its customer and call rows are in the spool."""

    layout: Layout
    customers: Rows = field(default_factory=Rows)
    logs: Rows = field(default_factory=Rows)


# ---- in the worker processes ------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """The file as the workers find it: a temporary copy, and how to read it."""

    path: str
    file_name: str
    sha256: str
    sheet: str | None
    mapping: list[str | None] | None

    @property
    def key(self) -> str:
        return json.dumps([self.sha256, self.sheet, self.mapping])


_read: dict[str, Reading] = {}  # each worker keeps how it reads the last file


def _reading_in_worker(source: Source) -> Reading:
    if source.key not in _read:
        _read.clear()
        spool = spooled(source.file_name, Path(source.path))
        _read[source.key] = read_layout(spool, source.sheet, source.mapping)
    return _read[source.key]


def _beside(source: Source, kind: str, *key: object) -> Path:
    """A file kept beside the job's temporary copy, named for what it holds and for
    everything it was made from (the file, its sheet and mapping, and `key`)."""
    digest = hashlib.sha256(json.dumps([source.key, *key]).encode()).hexdigest()[:20]
    return Path(f"{source.path}.{digest}.{kind}")


def read(source: Source) -> None:
    """Runs in a worker: the spooled file found, for the parts asked of this worker
    later."""
    _reading_in_worker(source)


def describe(source: Source) -> Layout:
    """Runs in a worker: the layout with its first few rows as samples (the rest stay in
    the spool)."""
    return _reading_in_worker(source).layout


def check_part(source: Source, start: int, stop: int, options: RowOptions,
               indexed: bool = False) -> tuple[list[Candidate], list[LoggedRow]]:
    """Runs in a worker: rows start..stop (customers first, then the calls) checked, and
    for the write (`indexed`) with their search terms. The check is kept beside the
    temporary file, so that the confirmed write reads what the preview checked instead of
    checking it again."""
    kept = _beside(source, "part", options.__dict__, start, stop)
    if kept.exists():
        customers, logs = pickle.loads(kept.read_bytes())
    else:
        reading = _reading_in_worker(source)
        layout, count = reading.layout, reading.layout.row_count
        customers = prepare_rows(reading.customers[start:stop], layout.mapping, options) \
            if start < count else []
        logs = prepare_logs(reading.logs[max(0, start - count):max(0, stop - count)],
                            layout.logs_mapping, options) if stop > count else []
        kept.write_bytes(pickle.dumps((customers, logs), protocol=pickle.HIGHEST_PROTOCOL))
    return (index(customers) if indexed else customers), logs


# ---- in the bot -------------------------------------------------------------------------

_files: dict[str, Path] = {}


async def _source(database: Database, job: ImportJob) -> Source:
    """The job's file in a temporary folder (with the checked parts beside it), written
    once per bot process, a part at a time from the database."""
    path = _files.get(job.sha256)
    if path is None or not path.exists():
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        path = folder / hashlib.sha256(job.file_name.encode()).hexdigest()[:16]
        async with database.unit_of_work() as session:
            await jobs.copy_file(session, job.id, path)
        _files[job.sha256] = path
    return Source(str(path), job.file_name, job.sha256, job.settings.get("sheet"),
                  job.settings.get("mapping"))


def forget(job: ImportJob) -> None:
    """The temporary copy goes once the import is written or cancelled."""
    path = _files.pop(job.sha256, None)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)


FOLDER_PREFIX = "salesbot-import-"
LEFT_FOR = 24 * 3600.0  # seconds after which a copy no running bot knows of is removed


async def drop_stale_copies(database: Database) -> int:
    """Removes the temporary copies (file, spool and checked parts: about five times the
    file's size) that no import needs: those of this process's imports that ended without
    being written (a preview refused, abandoned or cancelled) and those a stopped process
    left behind a day ago. Returns how many went."""
    async with database.unit_of_work() as session:
        live = await jobs.unfinished(session, list(_files))
    ours = {path.parent for sha256, path in _files.items() if sha256 in live}
    ended = [_files.pop(sha256).parent for sha256 in list(_files) if sha256 not in live]
    return await asyncio.to_thread(_drop, ended, ours)


def _drop(ended: list[Path], ours: set[Path]) -> int:
    """The folders of ended imports, and those no import of ours holds that are older
    than LEFT_FOR: a large one is a thousand files, not for the event loop."""
    for folder in ended:
        shutil.rmtree(folder, ignore_errors=True)
    dropped = len(ended)
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        with contextlib.suppress(OSError):
            if folder not in ours and time.time() - folder.stat().st_mtime > LEFT_FOR:
                shutil.rmtree(folder, ignore_errors=True)
                dropped += 1
    return dropped


async def layout_of(database: Database, job: ImportJob) -> Layout:
    source = await _source(database, job)
    layout = await workers.run(describe, source)
    rows = layout.row_count + layout.logs_count
    check_size(rows)
    if rows > CHUNK:
        # The other worker is started (and finds the spool) while the member looks at the
        # column card: the preview's first parts then find both ready. A sheet of one part
        # is checked by one worker: a second would be 100 MB for nothing.
        workers.warm(functools.partial(read, source))
    return layout


async def parts(database: Database, job: ImportJob, options: RowOptions, *,
                indexed: bool = False) -> AsyncIterator[tuple[list[Candidate], list[LoggedRow]]]:
    """The file's rows checked (`indexed`: with their search terms, for the write), CHUNK
    at a time, the next ones asked for ahead."""
    layout = await layout_of(database, job)
    source = await _source(database, job)
    total = layout.row_count + layout.logs_count
    bounds = [(start, min(start + CHUNK, total)) for start in range(0, total, CHUNK)]
    # Customer and call rows never share a part: the writer finishes customers first.
    bounds = [b for start, stop in bounds for b in _split(start, stop, layout.row_count)]
    ahead: dict[int, asyncio.Future[tuple[list[Candidate], list[LoggedRow]]]] = {}
    try:
        for index in range(len(bounds)):
            for wanted in range(index, min(index + workers.WORKERS, len(bounds))):
                if wanted not in ahead:
                    ahead[wanted] = asyncio.ensure_future(workers.run(
                        check_part, source, *bounds[wanted], options, indexed))
            yield await ahead.pop(index)
    finally:
        for future in ahead.values():
            future.cancel()


def _split(start: int, stop: int, at: int) -> list[tuple[int, int]]:
    return [(start, at), (at, stop)] if start < at < stop else [(start, stop)]


def remember(job: ImportJob, layout: Layout) -> None:
    """What a later change of one column needs: the header, the mapping, the sheets."""
    jobs.change(job, header=layout.header[:64], mapping=layout.mapping,
                       sheets=layout.sheets, logs_only=layout.logs_only)


def map_column(job: ImportJob, column: int, field_name: str | None) -> None:
    """Column `column` holds `field_name` (None: ignored), before the import starts."""
    mapping = list(job.settings.get("mapping", []))
    if column < len(mapping):
        mapping[column] = field_name
        jobs.change(job, mapping=mapping)


def options_of(job: ImportJob) -> RowOptions:
    """How the rows are read (region, time zone, hour), as the uploader's chat set them."""
    return RowOptions(**job.settings["options"])


def choices_of(job: ImportJob) -> dict[Kind, Choice]:
    chosen = job.settings.get("choices", {})
    return {kind: Choice(chosen.get(kind.value, default))
            for kind, default in DEFAULT_CHOICES.items()}


def classifier_for(job: ImportJob) -> Classifier:
    return Classifier(default_owner_id=job.owner_id, import_id=job.id)



async def check(database: Database, job: ImportJob, options: RowOptions) -> Checked:
    """The preview: every row read, checked and compared with the records there are. The
    classification is kept beside the file, part by part, with the state of the records
    it was made against (`records_state`, written last), for the write to use while that
    state holds."""
    layout = await layout_of(database, job)
    preview = Preview()
    kept = _classification(await _source(database, job), options)
    async with database.unit_of_work() as session:
        state = await records_state(session)
    number = 0
    async for items, logs in classified(database, job, options):
        preview.add(items)
        preview.add_logs(logs)
        if items:
            await _keep(kept.with_suffix(f".{number}"), [
                (i.kind, i.match_id, i.match_reason, i.first_row, i.owner_id, i.problems)
                for i in items])
            number += 1
    await _keep(kept, state)
    return Checked(layout, preview)


def _classification(source: Source, options: RowOptions) -> Path:
    return _beside(source, "classified", options.__dict__)


async def _keep(path: Path, value: object) -> None:
    await asyncio.to_thread(path.write_bytes, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


async def _kept(path: Path) -> Any:
    return pickle.loads(await asyncio.to_thread(path.read_bytes))


async def as_previewed(database: Database, job: ImportJob, options: RowOptions
                       ) -> AsyncIterator[tuple[list[Classified], list[LoggedRow]]] | None:
    """The parts as the preview classified them, if nothing they were classified against
    has changed since and the write starts from the first row; else None (and the parts
    are classified again). Saves the write a second classification: 1.5 s of SQLite's
    100,000 rows, about 7 s of PostgreSQL's, on the same two cores as the writing."""
    kept = _classification(await _source(database, job), options)
    if job.next_row != 0 or not await asyncio.to_thread(kept.exists):
        return None
    async with database.unit_of_work() as session:
        if await _kept(kept) != await records_state(session):
            return None

    async def reread() -> AsyncIterator[tuple[list[Classified], list[LoggedRow]]]:
        number = 0
        async for candidates, logs in parts(database, job, options, indexed=True):
            classes = []
            if candidates:
                classes = await _kept(kept.with_suffix(f".{number}"))
                number += 1
            yield [Classified(candidate, kind, match_id, reason, first_row, owner_id,
                              problems)
                   for candidate, (kind, match_id, reason, first_row, owner_id, problems)
                   in zip(candidates, classes, strict=True)], logs

    return reread()


async def classified(database: Database, job: ImportJob, options: RowOptions,
                     classifier: Classifier | None = None, *, indexed: bool = False
                     ) -> AsyncIterator[tuple[list[Classified], list[LoggedRow]]]:
    """What the writer writes: each part of the file checked and classified.

    On PostgreSQL the next part is classified (on a connection of its own) while the
    writer writes this one: the database works in its own process, and a 100,000-row
    write took 40.8 s instead of 47.2 s. On SQLite it made the write slower (36.5 s
    against 34.9 s: the engine runs in the bot's process) and the bot 6 MB larger, so
    there the parts are classified one after the other. Either way parts are classified
    in file order, as the Classifier requires; a record the writer creates meanwhile is
    one it told the classifier of before inserting it, never taken for an existing one."""
    classifier = classifier or classifier_for(job)

    async def classify(candidates: list[Candidate]) -> list[Classified]:
        if not candidates:
            return []
        async with database.unit_of_work() as session:
            return await classifier.classify(session, candidates)

    if database.dialect != "postgresql":
        async for candidates, logs in parts(database, job, options, indexed=indexed):
            yield await classify(candidates), logs
        return
    ahead: asyncio.Task[list[Classified]] | None = None
    ahead_logs: list[LoggedRow] = []
    try:
        async for candidates, logs in parts(database, job, options, indexed=indexed):
            if ahead is not None:
                items = await ahead
                ahead = asyncio.ensure_future(classify(candidates))
                yield items, ahead_logs
            else:
                ahead = asyncio.ensure_future(classify(candidates))
            ahead_logs = logs
        if ahead is not None:
            yield await ahead, ahead_logs
    finally:
        if ahead is not None and not ahead.done():
            ahead.cancel()


async def write(database: Database, job_id: int, options: RowOptions, *, batch: int,
                progress: writer.Progress | None = None) -> bool:
    """Writes a confirmed (or interrupted) import to the end; False if another writer has
    it or it is not running."""
    async with database.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        if job is None or job.status != "running":
            return False

    async def written(position: int, total: int) -> None:
        if database.dialect == "sqlite":
            # The page cache a batch borrowed (storage/database.py, bulk_page_cache) is
            # freed into the heap of the connection's thread, and glibc kept it there:
            # given back after each batch, the bot's peak over 100,000 rows was 206 MB
            # instead of 231 MB.
            workers.return_freed_memory()
        if progress is not None:
            await progress(position, total)

    try:
        classifier = classifier_for(job)
        previewed = await as_previewed(database, job, options)
        return await writer.write(
            database, job_id,
            previewed or classified(database, job, options, classifier, indexed=True),
            choices_of(job), batch=batch, progress=written, created=classifier.created)
    finally:
        async with database.unit_of_work() as session:
            latest = await session.get(ImportJob, job_id)
            if latest is None or latest.status != "running":
                forget(job)


async def running_jobs(database: Database) -> list[int]:
    async with database.unit_of_work() as session:
        return await jobs.running(session)



def result_sheet(t: Translate, rows: list[Any]) -> OutSheet:
    sheets = {0: t("Customers"), 1: t("Interactions")}
    return OutSheet(t("Result"), [t("Sheet"), t("Row"), t("Outcome"), t("Code"), t("Reason")],
                    [[sheets[r.sheet], str(r.row), t(OUTCOMES.get(r.outcome, r.outcome)),
                      format_code(r.customer_id) if r.customer_id else "",
                      reason_text(t, r.reason)] for r in rows])


def result_file_in_worker(url: str, job_id: int, language: str) -> tuple[bytes, bool]:
    """Runs in a worker, with its own database connection: the import's result workbook,
    and whether it lists every row (storage/imports/writer.py `result_rows`)."""
    rows, every = Database.read_once(url, functools.partial(writer.result_rows,
                                                            job_id=job_id))
    return xlsx_bytes([result_sheet(translator(language), rows)]), every


async def result_file(database: Database, job_id: int, language: str) -> tuple[bytes, bool]:
    return await workers.run(result_file_in_worker, database.url, job_id, language)

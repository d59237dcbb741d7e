"""An import from file to records, for the chat, the CLI and the resume at start: the
file is read and its rows checked in worker processes (bot/workers.py), classified and
written by the storage services.

The checked rows of the last imports are kept in memory, keyed by the import and its
settings, so that the preview, each change of a column and the confirmed write do not
read a 100,000-row file again each time; a restarted bot reads it once more.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot import workers
from bot.spreadsheets import Table, read_workbook
from storage import import_jobs, import_writer
from storage.columns import find_header, guess_mapping, is_interactions_table
from storage.database import Database
from storage.imports import (
    DEFAULT_CHOICES,
    Candidate,
    Choice,
    Classified,
    Kind,
    LoggedRow,
    Preview,
    RowOptions,
    check_size,
    classify,
    prepare_logs,
    prepare_rows,
    summarize,
)
from storage.models import ImportJob

KEEP_PREPARED = 2


@dataclass
class Layout:
    """Where the data is in the file: the sheet, its header, which field each column is."""

    sheets: list[str]
    sheet: str
    header_row: int  # as the spreadsheet numbers it
    header: list[str]
    mapping: list[str | None]
    rows: list[tuple[int, list[str]]] = field(repr=False)
    logs_sheet: str | None = None
    logs_mapping: list[str | None] = field(default_factory=list)
    logs_rows: list[tuple[int, list[str]]] = field(default_factory=list, repr=False)
    columns_left_out: int = 0
    encoding: str | None = None

    @property
    def logs_only(self) -> bool:
        return not self.rows and bool(self.logs_rows)


def read_layout(file_name: str, data: bytes, sheet: str | None,
                mapping: list[str | None] | None) -> Layout:
    """Runs in a worker: the file's tables, the customers' one chosen (by the member, or the
    first that is not a sheet of calls), an interactions sheet beside it if there is one."""
    book = read_workbook(file_name, data)
    guessed = {t.name: _guess(t) for t in book.tables}
    if sheet is None:
        sheet = next((t.name for t in book.tables
                      if not is_interactions_table(guessed[t.name][1])), book.tables[0].name)
    table = book.table(sheet)
    header_index, found = guessed[table.name]
    if mapping is not None:
        found = (mapping + [None] * len(found))[:max(len(found), len(mapping))]
    header = table.rows[header_index] if table.rows else []
    rows = _numbered(table, header_index)
    layout = Layout([t.name for t in book.tables], table.name, header_index + 1, header, found,
                    rows, columns_left_out=table.columns_left_out, encoding=book.encoding)
    if is_interactions_table(found):
        layout.logs_sheet, layout.logs_mapping, layout.logs_rows = table.name, found, rows
        layout.rows = []
        return layout
    for other in book.tables:
        if other.name != table.name and is_interactions_table(guessed[other.name][1]):
            layout.logs_sheet, layout.logs_mapping = other.name, guessed[other.name][1]
            layout.logs_rows = _numbered(other, guessed[other.name][0])
            break
    return layout


def _guess(table: Table) -> tuple[int, list[str | None]]:
    index = find_header(table.rows)
    return index, guess_mapping(table.rows[index] if table.rows else [])


def _numbered(table: Table, header_index: int) -> list[tuple[int, list[str]]]:
    return [(number, row) for number, row in enumerate(table.rows[header_index + 1:],
                                                       start=header_index + 2) if any(row)]


@dataclass
class Prepared:
    layout: Layout
    candidates: list[Candidate]
    logs: list[LoggedRow]


_prepared: OrderedDict[tuple[int, str], Prepared] = OrderedDict()


def _key(job: ImportJob, options: RowOptions) -> tuple[int, str]:
    chosen = {k: job.settings.get(k) for k in ("sheet", "mapping")}
    return job.id, json.dumps([job.sha256, chosen, options.__dict__], sort_keys=True,
                              default=str)


async def prepare(job: ImportJob, options: RowOptions) -> Prepared:
    """The file's rows checked, from the cache or from the worker processes."""
    key = _key(job, options)
    if key in _prepared:
        _prepared.move_to_end(key)
        return _prepared[key]
    layout = await workers.run(read_layout, job.file_name, job.content,
                               job.settings.get("sheet"), job.settings.get("mapping"))
    check_size(len(layout.rows) + len(layout.logs_rows))
    candidates = await _in_parallel(prepare_rows, layout.rows, layout.mapping, options)
    logs = await _in_parallel(prepare_logs, layout.logs_rows, layout.logs_mapping, options)
    prepared = Prepared(layout, candidates, logs)
    _prepared[key] = prepared
    while len(_prepared) > KEEP_PREPARED:
        _prepared.popitem(last=False)
    return prepared


async def _in_parallel(function: Any, rows: list[tuple[int, list[str]]],
                       mapping: list[str | None], options: RowOptions) -> list[Any]:
    if not rows:
        return []
    size = max(2000, -(-len(rows) // workers.WORKERS))
    parts = await asyncio.gather(*(workers.run(function, rows[i:i + size], mapping, options)
                                   for i in range(0, len(rows), size)))
    return [item for part in parts for item in part]


def choices_of(job: ImportJob) -> dict[Kind, Choice]:
    chosen = job.settings.get("choices", {})
    return {kind: Choice(chosen.get(kind.value, default))
            for kind, default in DEFAULT_CHOICES.items()}


@dataclass
class Checked:
    prepared: Prepared
    items: list[Classified]
    preview: Preview


async def check(database: Database, job: ImportJob, options: RowOptions) -> Checked:
    """The preview: every row read, checked and compared with the records there are."""
    prepared = await prepare(job, options)
    async with database.unit_of_work() as session:
        items = await classify(session, prepared.candidates, default_owner_id=job.owner_id,
                               import_id=job.id)
    return Checked(prepared, items, summarize(items, prepared.logs))


async def write(database: Database, job_id: int, options: RowOptions, *, batch: int,
                progress: import_writer.Progress | None = None) -> bool:
    """Writes a confirmed (or interrupted) import to the end; False if another writer has
    it or it is not running."""
    async with database.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        if job is None or job.status != "running":
            return False
    checked = await check(database, job, options)
    return await import_writer.write(database, job_id, checked.items, checked.prepared.logs,
                                     choices_of(job), batch=batch, progress=progress)


async def running_jobs(database: Database) -> list[int]:
    async with database.unit_of_work() as session:
        return await import_jobs.running(session)

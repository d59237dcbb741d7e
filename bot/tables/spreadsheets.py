"""Files in and out: xlsx / xls / ods / csv / vcf bytes become tables of text, and tables
become xlsx or csv bytes.

The import and export services in `storage/` see only rows of strings; everything that
depends on a file format lives here, with the libraries made for it: python-calamine
reads every workbook format (100,000 rows x 15 columns in 1.5 s), charset-normalizer
names a CSV's encoding when it has no BOM and is not UTF-8, and rustpy-xlsxwriter writes
xlsx (100,000 x 15 in 0.86 s; xlsxwriter took 7.1 s, see docs/decisions.md).

Cells are text on the way in: an integral float is its digits (phones typed into Excel
become 13812345678.0), a date is ISO. On the way out every cell that a spreadsheet could
take for a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with an apostrophe,
and the apostrophe is taken off again when such a file comes back in.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import BinaryIO

from storage.errors import N_, CrmError

MAX_COLUMNS = 64  # wider rows are read up to here; the rest is said to be left out
# What a zipped workbook may unpack to: a 1,000,000-row sheet of 11 columns unpacks to
# 358 MB. Past the size, the ratio is what tells a zip bomb.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 150  # a 1 MB file that unpacks to more than 150 MB is a zip bomb
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TABLE_SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv", ".txt", ".vcf")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SAMPLE_BYTES = 200_000
BLOCK_BYTES = 1024 * 1024  # a CSV is checked and read this much at a time
# Where a CSV is neither UTF-8 nor UTF-16 it is one of these. Unrestricted, the detector
# took a 10,000-row GBK sheet for ISO-8859-5 and a cp1252 one for cp775.
LEGACY_ENCODINGS = ("gb18030", "big5", "cp1252", "shift_jis", "euc_kr")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))

FileSource = Path | bytes  # a file on disk, or its bytes


class UnreadableFile(CrmError):
    """The file as a whole cannot be read; the message says why, for the member."""


@dataclass
class Table:
    name: str
    rows: list[list[str]]
    columns_left_out: int = 0


@dataclass
class Workbook:
    tables: list[Table] = field(default_factory=list)
    encoding: str | None = None  # CSV only: what the bytes were read as

    def table(self, name: str | None) -> Table:
        return next((t for t in self.tables if t.name == name), self.tables[0])


class SheetRows:
    """One sheet's rows as text, read as they are iterated: a row at a time from a CSV,
    from calamine's own copy of a workbook's sheet (it reads a sheet whole: 750 MB for a
    1,000,000-row xlsx, freed when the iteration ends). Trailing empty cells are cut off
    and rows kept to MAX_COLUMNS; `columns_left_out` says how many were cut, once read."""

    def __init__(self, name: str, cells: Callable[[], Iterator[list[str]]]) -> None:
        self.name = name
        self._cells = cells  # the rows as text, cell by cell
        self.columns_left_out = 0

    def __iter__(self) -> Iterator[list[str]]:
        widest = 0
        for row in self._cells():
            end = len(row)
            while end and not row[end - 1]:
                end -= 1
            widest = max(widest, end)
            yield row[:min(end, MAX_COLUMNS)]
        self.columns_left_out = max(0, widest - MAX_COLUMNS)


@dataclass
class StreamedBook:
    sheets: list[SheetRows]
    encoding: str | None = None  # CSV only: what the bytes were read as


def sheets_of(file_name: str, source: FileSource) -> StreamedBook:
    """Every sheet of the file, its rows read only as they are iterated (a whole sheet is
    never a Python list); UnreadableFile says why the file cannot be read."""
    suffix = PurePath(file_name.lower()).suffix
    if _is_blank(source):
        raise UnreadableFile(N_("The file is empty."))
    if suffix not in TABLE_SUFFIXES:
        raise UnreadableFile(N_("I can import .xlsx, .xls, .ods, .csv and .vcf files."))
    if suffix == ".vcf":
        rows = _vcard_rows(source if isinstance(source, bytes) else source.read_bytes())
        return StreamedBook([SheetRows("vCard", lambda: iter(rows))])
    if suffix in (".csv", ".txt"):
        encoding, errors = encoding_of(source)
        return StreamedBook([SheetRows(PurePath(file_name).stem, lambda: _csv_rows(
            source, encoding, errors))], encoding)
    _check_container(suffix, source)
    return StreamedBook(_calamine_sheets(source))


def read_workbook(file_name: str, data: bytes) -> Workbook:
    """Every sheet of a file small enough to hold, as rows of text; UnreadableFile says
    why not."""
    book = sheets_of(file_name, data)
    tables = []
    for sheet in book.sheets:
        rows = list(sheet)
        while rows and not any(rows[-1]):
            rows.pop()
        if rows:
            tables.append(Table(sheet.name, rows, sheet.columns_left_out))
    if not tables:
        raise UnreadableFile(N_("The file has no rows."))
    return Workbook(tables, book.encoding)


@contextlib.contextmanager
def _opened(source: FileSource) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    else:
        with source.open("rb") as stream:
            yield stream


def _is_blank(source: FileSource) -> bool:
    with _opened(source) as stream:
        while block := stream.read(BLOCK_BYTES):
            if block.strip():
                return False
    return True


def _check_container(suffix: str, source: FileSource) -> None:
    """Refuses what calamine should never be given: encrypted or renamed files, zip bombs."""
    with _opened(source) as stream:
        magic = stream.read(len(_OLE_MAGIC))
    if suffix == ".xls":
        if magic != _OLE_MAGIC:
            raise UnreadableFile(N_("This is not a spreadsheet (is it another kind of file "
                                    "renamed?)."))
        return
    if magic == _OLE_MAGIC:
        # Excel keeps a password-protected .xlsx in an OLE container, not a zip.
        raise UnreadableFile(N_("This workbook is protected by a password. Save it without "
                                "the password and send it again."))
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    with _opened(source) as stream:
        if not zipfile.is_zipfile(stream):
            raise UnreadableFile(N_("This is not a spreadsheet (is it another kind of "
                                    "file renamed?)."))
    try:
        with _opened(source) as stream, zipfile.ZipFile(stream) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(N_("The file is damaged.")) from exc
    if unpacked > MAX_UNPACKED_BYTES or unpacked > max(size, 1_000_000) * MAX_RATIO:
        raise UnreadableFile(N_("This file unpacks to {size} MB, far more than a "
                                "spreadsheet of its size: it is not imported."),
                             size=unpacked // (1024 * 1024))


def _calamine_sheets(source: FileSource) -> list[SheetRows]:
    from python_calamine import CalamineError, CalamineWorkbook

    def unreadable(exc: Exception) -> UnreadableFile:
        return UnreadableFile(N_("I could not read this workbook ({detail})."),
                              detail=str(exc)[:80])

    def rows_of(name: str) -> Iterator[list[str]]:
        try:
            sheet = book.get_sheet_by_name(name)
            # The rows above the first filled cell come empty; the columns before it do
            # not, and the cells keep their columns only with them.
            pad = [""] * (sheet.start[1] if sheet.start else 0)
            for row in sheet.iter_rows():
                yield pad + [cell_text(value) for value in row]
        except (CalamineError, ValueError, OSError, KeyError) as exc:
            raise unreadable(exc) from exc

    try:
        # Opened once for all its sheets: opening the 1,000,000-row xlsx (its shared
        # strings) took 0.97 s and 114 MB each time.
        book = (CalamineWorkbook.from_filelike(io.BytesIO(source))
                if isinstance(source, bytes) else CalamineWorkbook.from_path(str(source)))
        names = list(book.sheet_names)
    except (CalamineError, ValueError, OSError, KeyError) as exc:
        raise unreadable(exc) from exc
    return [SheetRows(name, functools.partial(rows_of, name)) for name in names]


def cell_text(value: object) -> str:
    """One cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if value.time() != time() else "%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return str(value)
    return restored(str(value).strip())


def restored(text: str) -> str:
    """Takes off the apostrophe our export put before a formula-like cell."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def encoding_of(source: FileSource) -> tuple[str, str]:
    """What a CSV's bytes are, and how to treat a byte that is not: a BOM first, then
    strict UTF-8, then what charset-normalizer finds in the first 200 KB (GBK is read as
    its superset GB18030); the whole file is checked block by block, never held."""
    with _opened(source) as stream:
        start = stream.read(SAMPLE_BYTES)
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            return encoding, "replace"
    if _decodes(source, "utf-8"):
        return "utf-8", "strict"
    from charset_normalizer import from_bytes

    sample = start
    if len(start) == SAMPLE_BYTES:  # a character cut in two would rule its encoding out
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    best = from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS)).best()
    encoding = best.encoding if best is not None else "gb18030"
    if encoding.replace("_", "").lower() in ("gbk", "gb2312", "cp936", "hz"):
        encoding = "gb18030"
    if _decodes(source, encoding):
        return encoding, "strict"
    return "gb18030", "replace"


def _decodes(source: FileSource, encoding: str) -> bool:
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        with _opened(source) as stream:
            while block := stream.read(BLOCK_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _csv_rows(source: FileSource, encoding: str, errors: str) -> Iterator[list[str]]:
    with _opened(source) as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, errors=errors, newline="")
        head = list(itertools.islice(text, 50))
        sample = "".join(head)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        try:
            for row in csv.reader(itertools.chain(head, text), delimiter=delimiter):
                yield [restored(c.strip()) for c in row]
        except csv.Error as exc:
            raise UnreadableFile(N_("I could not read this CSV file ({detail})."),
                                 detail=str(exc)[:80]) from exc


VCARD_HEADER = ["name", "phone", "email", "company", "title", "notes"]


def _vcard_rows(data: bytes) -> list[list[str]]:
    from bot.understanding.customers import VCardError, drafts_from_vcard

    try:
        drafts = drafts_from_vcard(data)
    except VCardError as exc:
        raise UnreadableFile(N_("I could not read this .vcf file.")) from exc
    return [VCARD_HEADER] + [
        [d.name, "; ".join(d.phones), "; ".join(d.emails), d.company or "", d.title or "",
         d.notes or ""] for d in drafts]


# ---- out ------------------------------------------------------------------------------

def neutralised(cells: Iterable[str]) -> list[str]:
    """Cells no spreadsheet will run as a formula (OWASP's CSV injection advice): one
    that begins like a formula gets an apostrophe before it. A row at a time: called per
    cell, the check was 0.3 s of the export's 1.5 s workbook at 100,000 customers."""
    return ["'" + value if value[:1] in _FORMULA_FIRST else value for value in cells]


_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # each one character


@dataclass
class OutSheet:
    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[str]]
    neutralised: bool = False  # its rows already passed through `neutralised`


def xlsx_bytes(sheets: Sequence[OutSheet]) -> bytes:
    from rustpy_xlsxwriter import FastExcel

    buffer = io.BytesIO()
    book = FastExcel(buffer)
    for sheet in sheets:
        header = _unique(sheet.header)
        records = [dict(zip(header, row if sheet.neutralised else neutralised(row),
                            strict=False)) for row in sheet.rows]
        book.sheet(sheet.name[:31], records or [dict.fromkeys(header, "")],
                   column_width=16)
    book.save()
    return buffer.getvalue()


def csv_bytes(sheet: OutSheet) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.header)
    writer.writerows(sheet.rows if sheet.neutralised else map(neutralised, sheet.rows))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _unique(header: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out

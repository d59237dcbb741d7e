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
import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from storage.errors import N_, CrmError

MAX_COLUMNS = 64  # wider rows are read up to here; the rest is said to be left out
MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # what a zipped workbook may unpack to
MAX_RATIO = 150  # a 1 MB file that unpacks to more than 150 MB is a zip bomb
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TABLE_SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv", ".txt", ".vcf")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SAMPLE_BYTES = 200_000
# Where a CSV is neither UTF-8 nor UTF-16 it is one of these. Unrestricted, the detector
# took a 10,000-row GBK sheet for ISO-8859-5 and a cp1252 one for cp775.
LEGACY_ENCODINGS = ("gb18030", "big5", "cp1252", "shift_jis", "euc_kr")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


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


def read_workbook(file_name: str, data: bytes) -> Workbook:
    """Every sheet of the file as rows of text; UnreadableFile says why not."""
    suffix = PurePath(file_name.lower()).suffix
    if not data.strip():
        raise UnreadableFile(N_("The file is empty."))
    if suffix not in TABLE_SUFFIXES:
        raise UnreadableFile(N_("I can import .xlsx, .xls, .ods, .csv and .vcf files."))
    if suffix == ".vcf":
        return Workbook([_vcard_table(data)])
    if suffix in (".csv", ".txt"):
        text, encoding = decode_text(data)
        return Workbook([_csv_table(PurePath(file_name).stem, text)], encoding)
    _check_container(suffix, data)
    tables = [t for t in _calamine_tables(data) if any(any(c for c in r) for r in t.rows)]
    if not tables:
        raise UnreadableFile(N_("The file has no rows."))
    return Workbook(tables)


def _check_container(suffix: str, data: bytes) -> None:
    """Refuses what calamine should never be given: encrypted or renamed files, zip bombs."""
    if suffix == ".xls":
        if not data.startswith(_OLE_MAGIC):
            raise UnreadableFile(N_("This is not a spreadsheet (is it another kind of file "
                                    "renamed?)."))
        return
    if data.startswith(_OLE_MAGIC):
        # Excel keeps a password-protected .xlsx in an OLE container, not a zip.
        raise UnreadableFile(N_("This workbook is protected by a password. Save it without "
                                "the password and send it again."))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile(N_("This is not a spreadsheet (is it another kind of file "
                                "renamed?)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(N_("The file is damaged.")) from exc
    if unpacked > MAX_UNPACKED_BYTES or unpacked > max(len(data), 1_000_000) * MAX_RATIO:
        raise UnreadableFile(N_("This file unpacks to {size} MB, far more than a "
                                "spreadsheet of its size: it is not imported."),
                             size=unpacked // (1024 * 1024))


def _calamine_tables(data: bytes) -> list[Table]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        tables = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows, left_out = _trimmed(
                [[cell_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)])
            tables.append(Table(name, rows, left_out))
        return tables
    except (CalamineError, ValueError, OSError, KeyError) as exc:
        raise UnreadableFile(N_("I could not read this workbook ({detail})."),
                             detail=str(exc)[:80]) from exc


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


def _trimmed(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    """Trailing empty cells and rows off; rows cut at MAX_COLUMNS (how many were cut)."""
    out: list[list[str]] = []
    widest = 0
    for row in rows:
        end = len(row)
        while end and not row[end - 1]:
            end -= 1
        widest = max(widest, end)
        out.append(row[:min(end, MAX_COLUMNS)])
    while out and not any(out[-1]):
        out.pop()
    return out, max(0, widest - MAX_COLUMNS)


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: a BOM first, then strict UTF-8, then
    what charset-normalizer finds (GBK is read as its superset GB18030)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    sample = data[:SAMPLE_BYTES]
    if len(data) > SAMPLE_BYTES:  # a character cut in two would rule its encoding out
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    best = from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS)).best()
    encoding = best.encoding if best is not None else "gb18030"
    if encoding.replace("_", "").lower() in ("gbk", "gb2312", "cp936", "hz"):
        encoding = "gb18030"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("gb18030", errors="replace"), "gb18030"


def _csv_table(name: str, text: str) -> Table:
    sample = "\n".join(text.splitlines()[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        rows = [[restored(c.strip()) for c in row]
                for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(N_("I could not read this CSV file ({detail})."),
                             detail=str(exc)[:80]) from exc
    trimmed, left_out = _trimmed(rows)
    if not trimmed:
        raise UnreadableFile(N_("The file has no rows."))
    return Table(name, trimmed, left_out)


VCARD_HEADER = ["name", "phone", "email", "company", "title", "notes"]


def _vcard_table(data: bytes) -> Table:
    from bot.understanding.customers import VCardError, drafts_from_vcard

    try:
        drafts = drafts_from_vcard(data)
    except VCardError as exc:
        raise UnreadableFile(N_("I could not read this .vcf file.")) from exc
    rows = [VCARD_HEADER] + [
        [d.name, "; ".join(d.phones), "; ".join(d.emails), d.company or "", d.title or "",
         d.notes or ""] for d in drafts]
    return Table("vCard", rows)


# ---- out ------------------------------------------------------------------------------

def neutralised(value: str) -> str:
    """A cell no spreadsheet will run as a formula (OWASP's CSV injection advice)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass
class OutSheet:
    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[str]]


def xlsx_bytes(sheets: Sequence[OutSheet]) -> bytes:
    from rustpy_xlsxwriter import FastExcel

    buffer = io.BytesIO()
    book = FastExcel(buffer)
    for sheet in sheets:
        header = _unique(sheet.header)
        records = [dict(zip(header, map(neutralised, row), strict=False))
                   for row in sheet.rows]
        book.sheet(sheet.name[:31], records or [dict.fromkeys(header, "")],
                   column_width=16)
    book.save()
    return buffer.getvalue()


def csv_bytes(sheet: OutSheet) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.header)
    writer.writerows([neutralised(c) for c in row] for row in sheet.rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _unique(header: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out

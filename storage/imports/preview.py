"""Bringing a team's table in: rows of text -> checked candidates -> a preview -> records.

The service never sees a file format (bot/tables/spreadsheets.py turns files into rows of
text). It works in three steps, each usable without Telegram:

1. `prepare_rows` / `prepare_logs` (pure, CPU-bound, run in a worker process): every row
   becomes a validated draft or a list of precise problems, with its history (last
   contact, next follow-up, a note) and the pinyin of its name; `index` adds the search
   text and terms once the import is confirmed.
2. `Classifier` (reads the database, part by part): each valid row is new, a certain
   duplicate of an existing record (same phone or email), a possible one (same pinyin
   name at a similar company), or a duplicate of an earlier row of the file; `Preview`
   counts them.
3. `write` (storage/imports/writer.py) writes in batches, each in one transaction that
   also records every row's outcome and how far the import got, so a killed import
   resumes where it stopped and never writes a row twice; `undo_import` takes a whole
   import back within a day while nothing it wrote has been changed since.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.customers import CustomerDraft, ensure_contacts, validate_draft
from storage.errors import N_, CrmError, ValidationFailed
from storage.imports.cells import (
    amounts_of,
    kind_of,
    sheet_date,
    split_list,
    stage_of,
    tier_of,
)
from storage.imports.columns import Layout
from storage.imports.seen import FirstRows, IdRanges
from storage.models import ContactPoint, Customer, ImportRow, User
from storage.search.lookup import search_text_without_code, terms_of
from storage.search.names import fold, pinyin_initials, pinyin_key
from storage.validation import clean_text, normalize_email, normalize_phone

MAX_ROWS = 1_048_575  # a sheet of Excel holds 1,048,576 rows, its header one of them
CHUNK = 500  # values per IN (...) list
SIMILAR_COMPANY = 80
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_FLOAT_DIGITS = re.compile(r"^(\d{5,})\.0+$")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row is not imported: a gettext message with its field and values."""

    field: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "params": self.params}


@dataclass(frozen=True)
class RowOptions:
    default_region: str
    timezone: str
    default_hour: int
    currency: str = "CNY"  # of amounts that name none (Paid, Outstanding)


@dataclass(slots=True)
class Candidate:
    """One customer row, checked."""

    row: int  # the spreadsheet's own row number
    draft: CustomerDraft | None
    problems: list[Problem]
    owner: str | None = None
    last_contact: datetime | None = None
    next_followup: datetime | None = None
    note: str | None = None
    code: str | None = None  # the file's own code, for linking its interactions
    pinyin: str = ""
    initials: str = ""
    search_text: str = ""  # all but the code, which comes with the id (search.with_code)
    terms: list[str] = field(default_factory=list)  # search.terms_of(search_text)
    # What the sheet says was paid and is still owed, per currency: an opening balance.
    balances: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class LoggedRow:
    """One row of an interactions sheet, checked."""

    row: int
    problems: list[Problem]
    code: str | None = None
    name: str | None = None
    phones: list[str] = field(default_factory=list)
    kind: str = "note"
    occurred_at: datetime | None = None
    summary: str = ""
    outcome: str | None = None
    next_followup: datetime | None = None


def _cells(row: list[str], mapping: Sequence[str | None]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for value, name in zip(row, mapping, strict=False):
        if name is not None and value.strip():
            found.setdefault(name, []).append(value.strip())
    return found


def _one(cells: dict[str, list[str]], name: str) -> str | None:
    values = cells.get(name)
    return values[0] if values else None


def _problem(error: ValidationFailed) -> Problem:
    return Problem(error.field, error.message, dict(error.params))


def _phones(values: list[str], problems: list[Problem]) -> list[str]:
    phones = []
    for value in (p for v in values for p in split_list(v)):
        if _SCIENTIFIC.match(value):
            problems.append(Problem("phone", N_(
                "The phone “{value}” was stored as a number in scientific notation and has "
                "lost its digits."), {"value": value}))
            continue
        digits = _FLOAT_DIGITS.match(value)
        phones.append(digits.group(1) if digits else value)
    return phones


def _read_dates(target: Candidate | LoggedRow, cells: dict[str, list[str]],
                columns: dict[str, str], options: RowOptions, zone: ZoneInfo,
                problems: list[Problem]) -> None:
    """Sets each attribute from its date column; a date it cannot read is a problem."""
    for name, attribute in columns.items():
        if name in cells:
            try:
                setattr(target, attribute, sheet_date(cells[name][0], zone,
                                                      options.default_hour, name))
            except ValidationFailed as error:
                problems.append(_problem(error))


def _formulas(cells: dict[str, list[str]]) -> list[Problem]:
    return [Problem(name, N_("“{value}” in the {label} column is a formula, not a value."),
                    {"value": value[:30]})
            for name, values in cells.items() for value in values if value.startswith("=")]


def _filled(rows: Sequence[tuple[int, list[str]]], mapping: Sequence[str | None]
            ) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Each row's number and its mapped, non-empty cells; rows with none are passed over."""
    for number, row in rows:
        cells = _cells(row, mapping)
        if cells:
            yield number, cells


def prepare_rows(rows: Sequence[tuple[int, list[str]]], mapping: Sequence[str | None],
                 options: RowOptions) -> list[Candidate]:
    """Each customer row as a validated draft with its history, or its problems."""
    zone = ZoneInfo(options.timezone)
    return [_candidate(number, cells, options, zone) for number, cells in _filled(rows, mapping)]


def _candidate(number: int, cells: dict[str, list[str]], options: RowOptions,
               zone: ZoneInfo) -> Candidate:
    problems = _formulas(cells)
    candidate = Candidate(number, None, problems, owner=_one(cells, "owner"),
                          code=_one(cells, "code"))
    phones = _phones(cells.get("phone", []), problems)
    emails = [e for v in cells.get("email", []) for e in split_list(v)]
    tags = [t.lstrip("#") for v in cells.get("tags", []) for t in re.split(r"[\s,;，；、]+", v)
            if t.strip("# ")]
    try:
        tier = tier_of(cells["tier"][0]) if "tier" in cells else "normal"
    except ValidationFailed as error:
        problems.append(_problem(error))
        tier = "normal"
    try:
        stage = stage_of(cells["stage"][0]) if "stage" in cells else "lead"
    except ValidationFailed as error:
        problems.append(_problem(error))
        stage = "lead"
    _read_dates(candidate, cells, {"last_contact": "last_contact",
                                   "next_followup": "next_followup"}, options, zone, problems)
    try:
        candidate.note = clean_text("notes", _one(cells, "notes"))
    except ValidationFailed as error:
        problems.append(_problem(error))
    try:
        candidate.balances = _balances(cells, options.currency)
    except ValidationFailed as error:
        problems.append(_problem(error))
    raw = CustomerDraft(
        name=_one(cells, "name") or "", company=_one(cells, "company"),
        title=_one(cells, "title"), region=_one(cells, "region"),
        address=_one(cells, "address"), source=_one(cells, "source"), tier=tier, stage=stage,
        phones=phones, emails=emails, wechat=_one(cells, "wechat"),
        telegram=_one(cells, "telegram"), tags=tags)
    try:
        draft = _validated(raw, options.default_region, problems)
    except ValidationFailed as error:
        problems.append(_problem(error))
        return candidate
    if problems:
        return candidate
    candidate.draft = draft
    candidate.pinyin = pinyin_key(draft.name)
    candidate.initials = pinyin_initials(draft.name)
    return candidate


def index(candidates: list[Candidate]) -> list[Candidate]:
    """Each valid row's search text and terms, which only the write needs: made then, in
    the workers while the bot writes the part before (they would otherwise sit idle), they
    left the preview about half its CPU (a row's check took 0.23 ms with them, 0.10 ms
    without them and with pinyin cached per Han run)."""
    for candidate in candidates:
        draft = candidate.draft
        if draft is None:
            continue
        candidate.search_text = search_text_without_code(
            name=draft.name, company=draft.company, region=draft.region, phones=draft.phones,
            emails=draft.emails, tags=draft.tags, title=draft.title,
            handles=[h for h in (draft.wechat, draft.telegram) if h])
        candidate.terms = list(terms_of(candidate.search_text))
    return candidates


def _balances(cells: dict[str, list[str]], currency: str) -> dict[str, tuple[int, int]]:
    paid = amounts_of(_one(cells, "paid") or "", currency, "paid")
    owed = amounts_of(_one(cells, "outstanding") or "", currency, "outstanding")
    return {code: (paid.get(code, 0), owed.get(code, 0))
            for code in sorted(set(paid) | set(owed)) if paid.get(code) or owed.get(code)}


def _validated(raw: CustomerDraft, region: str, problems: list[Problem]) -> CustomerDraft:
    """validate_draft, but every phone and email is checked (once) so that the report
    names each bad one, not just the first."""
    good_phones, good_emails = [], []
    for phone in raw.phones:
        try:
            good_phones.append(normalize_phone(phone, region))
        except ValidationFailed as error:
            problems.append(_problem(error))
    for email in raw.emails:
        try:
            good_emails.append(normalize_email(email))
        except ValidationFailed as error:
            problems.append(_problem(error))
    raw.phones, raw.emails = [], []
    draft = validate_draft(raw, region)
    draft.phones, draft.emails = ensure_contacts(good_phones, good_emails)
    return draft


def prepare_logs(rows: Sequence[tuple[int, list[str]]], mapping: Sequence[str | None],
                 options: RowOptions) -> list[LoggedRow]:
    """Each row of an interactions sheet: whom it is about, when, how, what."""
    zone = ZoneInfo(options.timezone)
    out = []
    for number, cells in _filled(rows, mapping):
        problems = _formulas(cells)
        entry = LoggedRow(number, problems, code=_one(cells, "code"), name=_one(cells, "name"),
                          kind=kind_of(_one(cells, "kind") or "").value)
        for phone in _phones(cells.get("phone", []), problems):
            try:
                entry.phones.append(normalize_phone(phone, options.default_region))
            except ValidationFailed as error:
                problems.append(_problem(error))
        _read_dates(entry, cells, {"date": "occurred_at", "next_followup": "next_followup"},
                    options, zone, problems)
        try:
            entry.summary = clean_text("summary", _one(cells, "summary"), required=True) or ""
            entry.outcome = clean_text("outcome", _one(cells, "outcome"))
        except ValidationFailed as error:
            problems.append(_problem(error))
        if not (entry.code or entry.name or entry.phones):
            problems.append(Problem("name", N_("The row does not say which customer.")))
        out.append(entry)
    return out


# ---- classification ---------------------------------------------------------------------

class Kind(StrEnum):
    NEW = "new"
    INVALID = "invalid"
    CERTAIN = "certain"  # same phone or email as an existing record
    POSSIBLE = "possible"  # same pinyin name at a similar company
    IN_FILE = "in_file"  # the same customer as an earlier row of the file


class Choice(StrEnum):
    SKIP = "skip"
    UPDATE = "update"  # fill the empty fields, add contacts, tags and history
    NEW = "new"


DEFAULT_CHOICES = {Kind.CERTAIN: Choice.UPDATE, Kind.POSSIBLE: Choice.SKIP,
                   Kind.IN_FILE: Choice.UPDATE}


@dataclass(slots=True)
class Classified:
    candidate: Candidate
    kind: Kind
    match_id: int | None = None  # the existing record (certain, possible)
    match_reason: str = ""  # phone, email, name
    first_row: int | None = None  # the earlier row (in-file)
    owner_id: int | None = None
    problems: list[Problem] = field(default_factory=list)


class Classifier:
    """Classifies the rows of one file chunk by chunk, in row order: the rows seen so far
    are remembered (their contacts, name and company), so that a row repeating an earlier
    one is found whichever chunk it is in. Existing records are those not archived or
    merged away, and not created by this very import: a resumed import classifies its
    rows as the first run did."""

    def __init__(self, *, default_owner_id: int, import_id: int | None = None) -> None:
        self.default_owner_id = default_owner_id
        self.import_id = import_id
        # Records this import created: loaded once, then told by the writer as it goes
        # (a row is classified after the rows before it were written).
        self.ours: IdRanges | None = None
        self.owners: dict[str, int] | None = None
        # The first row each contact and each name at a company was seen in, as 64-bit
        # hashes (storage/imports/seen.py); the 2.7 million keys of a 1,000,000-row sheet
        # collide with odds of about 2e-7.
        self.seen_contacts = FirstRows()
        self.seen_names = FirstRows()

    async def classify(self, session: AsyncSession, candidates: list[Candidate]
                       ) -> list[Classified]:
        if self.owners is None:
            self.owners = await _owners(session)
        if self.ours is None:
            self.ours = IdRanges() if self.import_id is None else IdRanges(await session.scalars(
                select(ImportRow.customer_id).where(ImportRow.import_id == self.import_id,
                                                    ImportRow.outcome == "created")))
        by_contact = await _existing_contacts(session, candidates, self.ours)
        by_pinyin = await _existing_names(session, candidates, self.ours)
        keys = [_keys(c.draft) if c.draft is not None else ([], 0) for c in candidates]
        part = _Seen(self.seen_contacts.find(h for hashed, _ in keys for h in hashed),
                     self.seen_names.find(name for _, name in keys))
        classified = [self._one(c, k, part, by_contact, by_pinyin)
                      for c, k in zip(candidates, keys, strict=True)]
        self.seen_contacts.add(part.new_contacts)
        self.seen_names.add(part.new_names)
        return classified

    def created(self, customer_ids: list[int]) -> None:
        if self.ours is not None:
            self.ours.update(customer_ids)

    def _one(self, candidate: Candidate, keys: tuple[list[int], int], seen: _Seen,
             by_contact: dict[str, int],
             by_pinyin: dict[str, list[tuple[int, str, str | None]]]) -> Classified:
        assert self.owners is not None
        item = Classified(candidate, Kind.INVALID, problems=list(candidate.problems))
        draft = candidate.draft
        if candidate.owner:
            item.owner_id = self.owners.get(fold(candidate.owner))
            if item.owner_id is None:
                item.problems.append(Problem("owner", N_(
                    "No active team member is called “{value}”."),
                    {"value": candidate.owner[:40]}))
        else:
            item.owner_id = self.default_owner_id
        if draft is None or item.problems:
            return item
        contacts = [*draft.phones, *draft.emails]
        earlier = seen.first_row(keys, bool(draft.company and fold(draft.company)),
                                 candidate.row)
        if earlier is not None:
            item.kind, item.first_row = Kind.IN_FILE, earlier
            return item
        existing = next(((by_contact[c], "email" if "@" in c else "phone") for c in contacts
                         if c in by_contact), None)
        if existing is not None:
            item.kind, (item.match_id, item.match_reason) = Kind.CERTAIN, existing
            return item
        similar = _similar(draft, candidate.pinyin, by_pinyin.get(candidate.pinyin, []))
        if similar is not None:
            item.kind, item.match_id, item.match_reason = Kind.POSSIBLE, similar, "name"
            return item
        item.kind = Kind.NEW
        return item


def _keys(draft: CustomerDraft) -> tuple[list[int], int]:
    """A valid row's keys for finding an earlier row of the file: its contacts, and its
    name at its company."""
    return ([hash(c) for c in (*draft.phones, *draft.emails)],
            hash((fold(draft.name), fold(draft.company or ""))))


@dataclass
class _Seen:
    """The keys of one part: those seen in earlier parts (with their first rows), and
    those seen first in this one, row by row."""

    contacts: dict[int, int]
    names: dict[int, int]
    new_contacts: dict[int, int] = field(default_factory=dict)
    new_names: dict[int, int] = field(default_factory=dict)

    def first_row(self, keys: tuple[list[int], int], has_company: bool, row: int
                  ) -> int | None:
        """The earlier row with one of these contacts, else (at a company) with this name;
        the keys are remembered as seen in `row`."""
        contacts, name = keys
        earlier = next((found for h in contacts
                        if (found := self.contacts.get(h, self.new_contacts.get(h)))
                        is not None), None)
        if earlier is None and has_company:
            earlier = self.names.get(name, self.new_names.get(name))
        for key in contacts:
            if key not in self.contacts:
                self.new_contacts.setdefault(key, row)
        if name not in self.names:
            self.new_names.setdefault(name, row)
        return earlier


def _similar(draft: CustomerDraft, key: str,
             others: list[tuple[int, str, str | None]]) -> int | None:
    company = fold(draft.company or "")
    for customer_id, name, other_company in others:
        theirs = fold(other_company or "")
        if company and theirs and fuzz.ratio(company, theirs) >= SIMILAR_COMPANY:
            return customer_id
        if not company and not theirs and fold(name) == fold(draft.name):
            return customer_id
    return None


async def records_state(session: AsyncSession) -> tuple[Any, ...]:
    """What a classification depends on, in a few aggregates: if they are the same at the
    write as at the preview, no record was added, changed, archived, merged or deleted
    meanwhile (every change of a record moves its `updated_at`; ids are never given twice)
    and the team is the same, so the preview's classification still holds."""
    customers = (await session.execute(select(
        func.count(Customer.id), func.max(Customer.id), func.max(Customer.updated_at)))).one()
    contacts = (await session.execute(select(
        func.count(ContactPoint.id), func.max(ContactPoint.id)))).one()
    return (*customers, *contacts, sorted((await _owners(session)).items()))


async def _owners(session: AsyncSession) -> dict[str, int]:
    """Active members by display name, @username and Telegram id, folded."""
    found: dict[str, int] = {}
    for user in await session.scalars(select(User).where(User.active.is_(True))):
        for key in (user.display_name, user.username, f"@{user.username}",
                    str(user.telegram_id)):
            if key:
                found.setdefault(fold(key), user.id)
    return found


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


_PRESENT = and_(Customer.archived.is_(False), Customer.merged_into_id.is_(None))


async def _existing_contacts(session: AsyncSession, candidates: list[Candidate],
                             ours: IdRanges) -> dict[str, int]:
    values = sorted({v for c in candidates if c.draft for v in (*c.draft.phones,
                                                               *c.draft.emails)})
    found: dict[str, int] = {}
    for chunk in _chunks(values):
        rows = await session.execute(
            select(ContactPoint.value, Customer.id).join(Customer)
            .where(ContactPoint.value.in_(chunk), ContactPoint.kind.in_(("phone", "email")),
                   _PRESENT)
            .order_by(Customer.id))
        for value, customer_id in rows:
            if customer_id not in ours:
                found.setdefault(value, customer_id)
    return found


async def _existing_names(session: AsyncSession, candidates: list[Candidate],
                          ours: IdRanges) -> dict[str, list[tuple[int, str, str | None]]]:
    keys = sorted({c.pinyin for c in candidates if c.draft and c.pinyin})
    found: dict[str, list[tuple[int, str, str | None]]] = {}
    for chunk in _chunks(keys):
        rows = await session.execute(
            select(Customer.name_pinyin, Customer.id, Customer.name, Customer.company)
            .where(Customer.name_pinyin.in_(chunk), _PRESENT).order_by(Customer.id))
        for key, customer_id, name, company in rows:
            if customer_id not in ours:
                found.setdefault(key, []).append((customer_id, name, company))
    return found


# ---- the preview ------------------------------------------------------------------------

@dataclass
class Preview:
    rows: int = 0
    invalid: int = 0
    new: int = 0
    certain: int = 0
    possible: int = 0
    in_file: int = 0
    last_contact: int = 0
    followups: int = 0
    notes: int = 0
    logs: int = 0
    logs_invalid: int = 0
    problems: list[tuple[int, Problem]] = field(default_factory=list)  # the first few

    @property
    def valid(self) -> int:
        return self.rows - self.invalid

    def add(self, items: list[Classified], sample: int = 8) -> None:
        self.rows += len(items)
        for item in items:
            setattr(self, item.kind.value, getattr(self, item.kind.value) + 1)
            if item.kind is Kind.INVALID:
                if len(self.problems) < sample:
                    self.problems.append((item.candidate.row, item.problems[0]))
            else:
                self.last_contact += item.candidate.last_contact is not None
                self.followups += item.candidate.next_followup is not None
                self.notes += bool(item.candidate.note)

    def add_logs(self, logs: list[LoggedRow], sample: int = 8) -> None:
        self.logs += len(logs)
        for entry in logs:
            if entry.problems:
                self.logs_invalid += 1
                if len(self.problems) < sample:
                    self.problems.append((entry.row, entry.problems[0]))

@dataclass
class Checked:
    layout: Layout
    preview: Preview

    @property
    def total(self) -> int:
        return self.layout.row_count + self.layout.logs_count


def check_size(rows: int) -> None:
    if rows > MAX_ROWS:
        raise CrmError(N_("The sheet has {rows} rows; at most {limit} can be imported at once. "
                          "Split it and send the parts."), rows=rows, limit=MAX_ROWS)


"""Writing a confirmed import, batch by batch, and taking a whole import back.

Each batch is one transaction that writes its records, their contacts, tags, notes,
follow-ups and audit entries, every row's outcome (`import_rows`), and moves the import's
`next_row` on. Its first statement is that move, guarded by the position it expects: it
takes SQLite's write lock before the ids are reserved, and a second writer of the same
import (a resume racing the original) finds the guard false and stops. A kill between
batches leaves whole batches only; `write` started again carries on from `next_row`.
New records are inserted in bulk with ids reserved up front, so their search text (which
holds the code) is written once.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.bulk import insert_rows
from storage.clock import utcnow
from storage.customers import (
    TEXT_FIELDS,
    absorb_fields,
    add_contacts,
    contact_pairs,
    restart_clocks,
    tags_named,
    touch,
)
from storage.database import Database, bulk_page_cache
from storage.errors import N_, Conflict, NotFound
from storage.imports import jobs
from storage.imports.preview import Candidate, Choice, Classified, Kind, LoggedRow, Problem
from storage.models import (
    AuditEntry,
    ContactPoint,
    Customer,
    Delivery,
    ImportJob,
    ImportRow,
    ImportStatus,
    Interaction,
    InteractionKind,
    Purchase,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Tag,
    customer_tags,
    format_code,
)
from storage.search.lookup import insert_customers, parse_code, with_code
from storage.search.names import fold
from storage.users import Actor, ensure_admin

UNDO_WINDOW = timedelta(hours=24)
Progress = Callable[[int, int], Awaitable[None]]


def _reason(problem: Problem | None = None, message: str = "", **params: Any) -> str:
    if problem is not None:
        return json.dumps(problem.as_json(), ensure_ascii=False)
    return json.dumps({"field": "", "message": message, "params": params}, ensure_ascii=False)


Parts = AsyncIterator[tuple[list[Classified], list[LoggedRow]]]


async def write(database: Database, job_id: int, parts: Parts, choices: dict[Kind, Choice],
                *, batch: int, progress: Progress | None = None,
                created: Callable[[list[int]], None] | None = None) -> bool:
    """Writes what is left of the import from its parts (customer rows first, then calls,
    in file order); rows before the import's `next_row` were written by an earlier run and
    are only classified again. False when another writer has the import."""
    async with database.unit_of_work() as session:
        job = await session.get(ImportJob, job_id)
        if job is None or job.status != ImportStatus.RUNNING:
            return False
        position, total = job.next_row, job.total_rows
    context = _Batch(job_id, job.actor_id, job.file_name, choices, created)
    codes: dict[str, int] = {}  # the file's own codes -> the row that had each
    targets: dict[str, int] | None = None  # the file's codes -> the records they became
    offset, analyze_at, step = 0, max(position, batch), batch
    async for items, logs in parts:
        for item in items:
            if item.candidate.code:
                codes.setdefault(item.candidate.code, item.candidate.row)
        size = len(items) or len(logs)
        most = batch if items else max(1, batch // 4)
        step = min(step, most)
        start = max(0, position - offset)
        while start < size:
            end = min(start + step, size)
            await database.until_idle()
            async with database.unit_of_work() as session:
                moved = await session.execute(
                    update(ImportJob).where(ImportJob.id == job_id,
                                            ImportJob.next_row == offset + start,
                                            ImportJob.status == ImportStatus.RUNNING)
                    .values(next_row=offset + end))
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    return False
                locked = time.perf_counter()  # SQLite's write lock is ours from here
                async with bulk_page_cache(session):
                    if items:
                        await context.customers(session, items[start:end])
                    else:
                        if targets is None:  # the customers are all written by now
                            went = await _customers_of_rows(session, job_id,
                                                            list(codes.values()))
                            targets = {code: went[row] for code, row in codes.items()
                                       if row in went}
                        await context.logs(session, logs[start:end], targets)
            if database.dialect == "sqlite":
                step = rows_within_turn(end - start, time.perf_counter() - locked, most)
            start, position = end, offset + end
            if position >= analyze_at:
                await _refresh_statistics(database)
                analyze_at = position * 2
            if progress is not None:
                await progress(position, max(total, position))
        offset += size
    async with database.unit_of_work() as session:
        last_audit = await session.scalar(select(func.max(AuditEntry.id)))
        job = await session.get(ImportJob, job_id)
        assert job is not None
        job.status, job.finished_at = ImportStatus.DONE, utcnow()
        await jobs.drop_file(session, job_id)  # the outcomes are in import_rows
        job.settings = {**job.settings, "last_audit_id": int(last_audit or 0)}
    return True


# How long one batch may hold SQLite's write lock. Every other write of the bot waits for
# it, the storing of each arriving update in the inbox included, so a member's lookup
# during an import waited for the rest of a batch: with batches of 2,000 rows (0.5 s each
# at 100,000 rows, about 1 s near a million) lookups had p99 506 ms (bench/imports.py,
# 100,000 rows). Each batch is sized from the last one's pace to stay within this.
# PostgreSQL locks rows, not the database, and writes `batch` rows a transaction.
TURN = 0.2  # seconds
FEWEST = 50  # rows a batch, however slow the last one was


def rows_within_turn(rows: int, seconds: float, most: int) -> int:
    """How many rows the next batch may have to hold the lock about TURN seconds, at
    the pace of the last one (`rows` in `seconds`)."""
    return max(FEWEST, min(most, int(rows * TURN / max(seconds, 0.001))))


async def _refresh_statistics(database: Database) -> None:
    """PostgreSQL plans the duplicate lookups from table statistics that autovacuum
    refreshes only now and then: tables grown from 0 to 100,000 rows within a minute were
    still planned as nearly empty, each lookup scanned them, and a 100,000-row import took
    233 s. Refreshed whenever the import has doubled what it wrote (about 8 times for
    100,000 rows). SQLite keeps no such statistics."""
    if database.dialect == "postgresql":
        async with database.unit_of_work() as session:
            await session.execute(text("ANALYZE customers, contact_points"))


class _Batch:
    """What every batch of one import shares: who, which file, the choices."""

    def __init__(self, job_id: int, actor_id: int, file_name: str,
                 choices: dict[Kind, Choice],
                 created: Callable[[list[int]], None] | None) -> None:
        self.job_id, self.actor_id, self.file_name = job_id, actor_id, file_name
        self.choices, self.created = choices, created

    def _choice(self, item: Classified) -> Choice:
        return Choice.NEW if item.kind is Kind.NEW else self.choices[item.kind]

    def _source(self, row: int) -> dict[str, Any]:
        return {"import": self.job_id, "file": self.file_name, "row": row}

    async def customers(self, session: AsyncSession, chunk: list[Classified]) -> None:
        now = utcnow()
        creates = [i for i in chunk if i.kind is not Kind.INVALID
                   and self._choice(i) is Choice.NEW]
        ids = await reserve_ids(session, len(creates))
        if self.created is not None:
            self.created(ids)
        # The record each row of this batch went to; earlier batches' are in import_rows.
        went = {item.candidate.row: new_id for item, new_id in zip(creates, ids, strict=True)}
        outcomes: list[dict[str, Any]] = []
        await self._create(session, list(zip(creates, ids, strict=True)), now, outcomes)
        for item in chunk:
            row = item.candidate.row
            if item.kind is Kind.INVALID:
                outcomes.append(self._outcome(row, "invalid", _reason(item.problems[0])))
            elif self._choice(item) is Choice.NEW:
                continue
            elif self._choice(item) is Choice.SKIP:
                outcomes.append(self._outcome(row, "skipped", self._why_duplicate(item),
                                              item.match_id))
            else:
                target = item.match_id
                if item.first_row is not None:
                    target = went.get(item.first_row) or (await _customers_of_rows(
                        session, self.job_id, [item.first_row])).get(item.first_row)
                if target is None:
                    outcomes.append(self._outcome(row, "skipped", self._why_duplicate(item)))
                    continue
                kept, undo = await self._update(session, target, item.candidate, now)
                went[row] = target
                code = format_code(target)
                reason = _reason(message=N_(
                    "Added to {code}; kept what it had for: {fields}."), code=code,
                    fields=", ".join(kept)) if kept else _reason(message=N_(
                        "Added to {code}: empty fields filled, contacts and tags added."),
                        code=code)
                outcomes.append(self._outcome(row, "updated", reason, target, undo))
        await insert_rows(session, _table(ImportRow), outcomes)

    def _outcome(self, row: int, outcome: str, reason: str = "", customer_id: int | None = None,
                 undo: dict[str, Any] | None = None, sheet: int = 0) -> dict[str, Any]:
        return {"import_id": self.job_id, "sheet": sheet, "row": row, "outcome": outcome,
                "reason": reason, "customer_id": customer_id, "undo": undo}

    def _why_duplicate(self, item: Classified) -> str:
        if item.first_row is not None:
            return _reason(message=N_("The same customer as row {row}."), row=item.first_row)
        assert item.match_id is not None
        reasons = {"phone": N_("Same phone as {code}."), "email": N_("Same email as {code}."),
                   "name": N_("Possibly the same as {code} (name and company).")}
        return _reason(message=reasons[item.match_reason], code=format_code(item.match_id))

    async def _create(self, session: AsyncSession, creates: list[tuple[Classified, int]],
                      now: datetime, outcomes: list[dict[str, Any]]) -> None:
        if not creates:
            return
        tag_ids = await _tag_ids(session, {t for item, _ in creates
                                           for t in _draft(item.candidate).tags})
        # A created record's audit is its import_rows line (who and when in `imports`,
        # file and row): /history shows it. One audit row per created record as well cost
        # about 3 s of a 100,000-row import.
        customers, terms, contacts, tags, notes, followups = [], [], [], [], [], []
        balances: list[dict[str, Any]] = []
        for item, customer_id in creates:
            candidate, draft = item.candidate, _draft(item.candidate)
            customers.append({
                "id": customer_id, **{name: getattr(draft, name) for name in TEXT_FIELDS},
                "notes": None, "tier": draft.tier, "stage": draft.stage,
                "owner_id": item.owner_id, "created_at": now, "updated_at": now,
                "last_contact_at": candidate.last_contact, "last_verified_at": now,
                "quiet_since": candidate.last_contact or now, "unverified_since": now,
                "archived": False, "name_pinyin": candidate.pinyin,
                "name_initials": candidate.initials,
                "search_text": with_code(candidate.search_text, customer_id)})
            terms.append(candidate.terms)
            contacts += [{"customer_id": customer_id, "kind": kind, "value": value,
                          "created_at": now} for kind, value in contact_pairs(draft)]
            tags += [{"customer_id": customer_id, "tag_id": tag_ids[t]} for t in draft.tags]
            if candidate.note:
                notes.append(_note(customer_id, self.actor_id, candidate.note, now))
            if candidate.next_followup is not None:
                followups.append(_followup(customer_id, item.owner_id or self.actor_id,
                                           self.actor_id, candidate.next_followup, now))
            balances += [_opening_balance(customer_id, self.actor_id, currency, paid, owed, now)
                         for currency, (paid, owed) in candidate.balances.items()]
            outcomes.append(self._outcome(candidate.row, "created", "", customer_id))
        await insert_customers(session, customers, terms)
        for table, rows in ((_table(ContactPoint), contacts), (_table(Interaction), notes),
                            (_table(Reminder), followups), (_table(Purchase), balances),
                            (customer_tags, tags)):
            await insert_rows(session, table, rows)

    async def _update(self, session: AsyncSession, customer_id: int, candidate: Candidate,
                      now: datetime) -> tuple[list[str], dict[str, Any]]:
        """Fills empty fields, adds contacts, tags, the note, the history; never overwrites
        a filled field (the fields kept are returned for the report)."""
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        draft = _draft(candidate)
        before = audit.customer_snapshot(customer)
        undo: dict[str, Any] = {"fields": [], "contacts": [], "tags": [], "interactions": [],
                                "reminders": [], **_clocks(customer)}
        undo["fields"] = absorb_fields(customer, {n: getattr(draft, n) for n in TEXT_FIELDS})
        kept = [n for n in TEXT_FIELDS
                if getattr(draft, n) and getattr(customer, n) != getattr(draft, n)]
        undo["contacts"] = [list(pair) for pair in add_contacts(customer, draft)]
        old_tags = [t.name for t in customer.tags]
        undo["tags"] = [t for t in draft.tags if t not in old_tags]
        customer.tags = await tags_named(session, old_tags + undo["tags"])
        contact = candidate.last_contact
        if contact is not None and (customer.last_contact_at is None
                                    or customer.last_contact_at < contact):
            customer.last_contact_at = contact
            restart_clocks(customer)
        touch(customer)
        await session.flush()
        if candidate.note:
            undo["interactions"].append(await _inserted(session, Interaction, _note(
                customer.id, self.actor_id, candidate.note, now)))
        if candidate.next_followup is not None:
            undo["reminders"].append(await _inserted(session, Reminder, _followup(
                customer.id, customer.owner_id or self.actor_id, self.actor_id,
                candidate.next_followup, now)))
        audit.record(session, actor_id=self.actor_id, action="import", entity="customer",
                     entity_id=customer.id, before=before,
                     after={**audit.customer_snapshot(customer), **self._source(candidate.row)})
        return kept, undo

    async def logs(self, session: AsyncSession, chunk: list[LoggedRow],
                   codes: dict[str, int]) -> None:
        now = utcnow()
        outcomes = []
        for entry in chunk:
            if entry.problems:
                outcomes.append(self._outcome(entry.row, "invalid", _reason(entry.problems[0]),
                                              sheet=1))
                continue
            customer, problem = await _customer_for(session, entry, codes)
            if customer is None:
                outcomes.append(self._outcome(entry.row, "invalid", _reason(problem), sheet=1))
                continue
            undo: dict[str, Any] = {"interactions": [], "reminders": [], **_clocks(customer)}
            occurred = min(entry.occurred_at or now, now)
            undo["interactions"].append(await _inserted(session, Interaction, {
                **_note(customer.id, self.actor_id, entry.summary, now),
                "kind": entry.kind, "occurred_at": occurred, "outcome": entry.outcome}))
            if entry.kind != InteractionKind.NOTE and (
                    customer.last_contact_at is None or customer.last_contact_at < occurred):
                customer.last_contact_at = occurred
                restart_clocks(customer)
            if entry.next_followup is not None:
                undo["reminders"].append(await _inserted(session, Reminder, _followup(
                    customer.id, customer.owner_id or self.actor_id, self.actor_id,
                    entry.next_followup, now)))
            audit.record(session, actor_id=self.actor_id, action="log", entity="customer",
                         entity_id=customer.id, after={"interaction": undo["interactions"][0],
                                                       **self._source(entry.row)})
            outcomes.append(self._outcome(entry.row, "logged", "", customer.id, undo, sheet=1))
        await session.flush()
        await insert_rows(session, _table(ImportRow), outcomes)


def _table(model: Any) -> Table:
    """The model's table, for a bulk insert of plain rows (storage/bulk.py). The ORM's
    bulk insert leaves out the None values and so splits a batch by which fields are
    empty: 7,017 statements for 14,331 rows, 2.2 s against 0.3 s as one executemany."""
    return cast(Table, model.__table__)


def _draft(candidate: Candidate) -> Any:
    assert candidate.draft is not None
    return candidate.draft


def _clocks(customer: Customer) -> dict[str, str | None]:
    return {name: value.isoformat() if value else None for name, value in (
        ("last_contact_at", customer.last_contact_at), ("quiet_since", customer.quiet_since))}


def _note(customer_id: int, actor_id: int, summary: str, now: datetime) -> dict[str, Any]:
    return {"customer_id": customer_id, "user_id": actor_id, "kind": InteractionKind.NOTE.value,
            "occurred_at": now, "summary": summary, "created_at": now}


def _opening_balance(customer_id: int, actor_id: int, currency: str, paid: int, owed: int,
                     now: datetime) -> dict[str, Any]:
    """What the sheet says was paid and is still owed, as one purchase bought today with
    that much paid: /receivables and the card carry the debt over; no payment row, so
    nothing counts as collected this month. Only for a record the import creates (an
    update would count a re-imported sheet twice)."""
    return {"customer_id": customer_id, "user_id": actor_id, "product": None,
            "quantity": None, "amount_minor": paid + owed, "paid_minor": paid,
            "returned_minor": 0, "planned": False, "currency": currency,
            "occurred_at": now, "interaction_id": None, "created_at": now}


def _followup(customer_id: int, owner_id: int, actor_id: int, due: datetime, now: datetime
              ) -> dict[str, Any]:
    """An open follow-up; one already past is overdue: listed in /followups and the digest,
    not sent on its own (an old sheet would otherwise send hundreds at once)."""
    return {"kind": ReminderKind.FOLLOWUP.value, "customer_id": customer_id, "user_id": owner_id,
            "created_by_id": actor_id, "due_at": due, "send_after": due if due > now else None,
            "text": "", "status": ReminderStatus.OPEN.value, "delivery": Delivery.PENDING.value,
            "attempts": 0, "late": False, "created_at": now}


async def _inserted(session: AsyncSession, table: type[Interaction] | type[Reminder],
                    values: dict[str, Any]) -> int:
    return int((await session.execute(insert(table).values(**values).returning(table.id)))
               .scalar_one())


async def _tag_ids(session: AsyncSession, names: set[str]) -> dict[str, int]:
    tags = await tags_named(session, sorted(names))
    await session.flush()
    return {tag.name: tag.id for tag in tags}


async def _customers_of_rows(session: AsyncSession, job_id: int, rows: list[int]
                             ) -> dict[int, int]:
    """The record each of these customer rows of the import went to (created or filled)."""
    went: dict[int, int] = {}
    for start in range(0, len(rows), 500):
        for row, customer_id in await session.execute(
                select(ImportRow.row, ImportRow.customer_id).where(
                    ImportRow.import_id == job_id, ImportRow.sheet == 0,
                    ImportRow.row.in_(rows[start:start + 500]),
                    ImportRow.outcome.in_(("created", "updated")))):
            went[row] = int(customer_id or 0)
    return went


async def reserve_ids(session: AsyncSession, count: int) -> list[int]:
    """`count` customer ids nobody else will get. PostgreSQL hands them from the sequence;
    on SQLite the batch already holds the write lock (its first statement wrote), so the
    next ids after the highest ever given are ours (AUTOINCREMENT keeps that number)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(text(
            "SELECT nextval(pg_get_serial_sequence('customers', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count})
        return [int(r[0]) for r in rows]
    highest = await session.scalar(text(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'customers'), 0), "
        "coalesce((SELECT max(id) FROM customers), 0))"))
    start = int(highest or 0) + 1
    return list(range(start, start + count))


async def _customer_for(session: AsyncSession, entry: LoggedRow, codes: dict[str, int]
                        ) -> tuple[Customer | None, Problem]:
    """The record an interaction row is about: the file's own code, then a phone, then a
    code of ours, then a name that only one record has."""
    missing = Problem("name", N_("No customer matches this row."))
    candidates: list[int] = []
    if entry.code and entry.code in codes:
        candidates = [codes[entry.code]]
    if not candidates and entry.phones:
        candidates = list(await session.scalars(
            select(ContactPoint.customer_id).where(ContactPoint.kind == "phone",
                                                   ContactPoint.value.in_(entry.phones))))
    ours = next((parse_code(ref) for ref in (entry.code, entry.name)
                 if ref and parse_code(ref) is not None), None)  # C-000123 in either column
    if not candidates and ours is not None:
        candidates = [ours]
    if not candidates and entry.name:
        candidates = list(await session.scalars(
            select(Customer.id).where(Customer.name == entry.name,
                                      Customer.archived.is_(False),
                                      Customer.merged_into_id.is_(None)).limit(2)))
        if len(candidates) > 1:
            return None, Problem("name", N_("Several customers are called “{value}”."),
                                 {"value": fold(entry.name)[:40]})
    customer = await session.get(Customer, candidates[0]) if candidates else None
    if customer is None or customer.archived or customer.merged_into_id is not None:
        return None, missing
    return customer, missing


# ---- reading back, undoing --------------------------------------------------------------

async def outcomes(session: AsyncSession, job_id: int) -> list[ImportRow]:
    return list(await session.scalars(
        select(ImportRow).where(ImportRow.import_id == job_id)
        .order_by(ImportRow.sheet, ImportRow.row)))


RESULT_ROWS = 100_000


async def result_rows(session: AsyncSession, job_id: int, limit: int = RESULT_ROWS
                      ) -> tuple[list[Any], bool]:
    """The rows for the import's result file, and whether that is every row: all of them
    up to `limit`; beyond, only those not simply created (invalid, skipped, updated,
    logged), the first `limit` of them: the created rows of a 1,000,000-row import say
    nothing the records do not, and a million rows are all a sheet of Excel holds."""
    query = select(ImportRow.sheet, ImportRow.row, ImportRow.outcome, ImportRow.customer_id,
                   ImportRow.reason).where(ImportRow.import_id == job_id)
    total = await session.scalar(select(func.count()).select_from(ImportRow).where(
        ImportRow.import_id == job_id)) or 0
    every = total <= limit
    if not every:
        query = query.where(ImportRow.outcome != "created")
    rows = await session.execute(query.order_by(ImportRow.sheet, ImportRow.row).limit(limit))
    return list(rows), every


async def counts(session: AsyncSession, job_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(ImportRow.outcome, func.count()).where(ImportRow.import_id == job_id)
        .group_by(ImportRow.outcome))
    return {outcome: int(n) for outcome, n in rows}


def _touched(job_id: int) -> Any:
    return select(ImportRow.customer_id).where(
        ImportRow.import_id == job_id, ImportRow.customer_id.is_not(None),
        ImportRow.outcome.in_(("created", "updated", "logged")))


async def undo_import(session: AsyncSession, actor: Actor, job_id: int) -> dict[str, int]:
    """Takes the whole import back: its new records go, the records it filled get their
    fields, contacts, tags, notes, follow-ups and clocks back. Refused after a day, or
    once anything it wrote was changed by somebody since."""
    ensure_admin(actor)
    job = await session.get(ImportJob, job_id, with_for_update=True)
    if job is None:
        raise NotFound(N_("There is no import #{number}."), number=job_id)
    if job.status == ImportStatus.UNDONE:
        raise Conflict(N_("This import was already undone."))
    if job.status != ImportStatus.DONE or job.finished_at is None:
        raise Conflict(N_("This import has not finished yet."))
    if utcnow() - job.finished_at > UNDO_WINDOW:
        raise Conflict(N_("An import can only be undone within 24 hours."))
    changed = list(await session.scalars(
        select(AuditEntry.entity_id).where(
            AuditEntry.id > int(job.settings.get("last_audit_id", 0)),
            AuditEntry.entity == "customer", AuditEntry.entity_id.in_(_touched(job_id)))
        .distinct().limit(3)))
    changed += list(await session.scalars(
        select(Reminder.customer_id).where(Reminder.customer_id.in_(_touched(job_id)),
                                           Reminder.created_at > job.finished_at).limit(3)))
    if changed:
        raise Conflict(N_("Records of this import were changed since ({codes}); undo it by "
                          "hand or leave it."),
                       codes=", ".join(sorted({format_code(i) for i in changed if i})))
    # Only the rows that changed a record are loaded as objects; the created ones (a
    # million of them, after a large import) go by one statement.
    changed_rows = list(await session.scalars(
        select(ImportRow).where(ImportRow.import_id == job_id,
                                ImportRow.outcome.in_(("updated", "logged")))
        .order_by(ImportRow.sheet, ImportRow.row)))
    for row in reversed(changed_rows):
        await _take_back(session, row)
    created = select(ImportRow.customer_id).where(ImportRow.import_id == job_id,
                                                  ImportRow.outcome == "created")
    deleted = await session.scalar(select(func.count()).select_from(created.subquery())) or 0
    await session.execute(delete(Customer).where(Customer.id.in_(created)))
    await _drop_unused_tags(session)
    job.status, job.undone_at = ImportStatus.UNDONE, utcnow()
    audit.record(session, actor_id=actor.user_id, action="undo_import", entity="import",
                 entity_id=job.id, after={"file": job.file_name, "deleted": deleted})
    return {"deleted": deleted,
            "restored": sum(1 for r in changed_rows if r.outcome == "updated")}


async def _take_back(session: AsyncSession, row: ImportRow) -> None:
    undo = row.undo or {}
    customer = await session.get(Customer, row.customer_id or 0)
    if customer is None:
        return
    for name in undo.get("fields", []):
        setattr(customer, name, None)
    gone = {tuple(pair) for pair in undo.get("contacts", [])}
    customer.contacts = [c for c in customer.contacts if (c.kind, c.value) not in gone]
    customer.tags = [t for t in customer.tags if t.name not in set(undo.get("tags", []))]
    for name in ("last_contact_at", "quiet_since"):
        if name in undo:
            setattr(customer, name, datetime.fromisoformat(undo[name]) if undo[name] else None)
    if undo.get("interactions"):
        await session.execute(delete(Interaction).where(Interaction.id.in_(undo["interactions"])))
    if undo.get("reminders"):
        await session.execute(delete(Reminder).where(Reminder.id.in_(undo["reminders"])))
    touch(customer)
    await session.flush()


async def _drop_unused_tags(session: AsyncSession) -> None:
    """Tags that only the import's records carried go with them."""
    await session.execute(delete(Tag).where(~Tag.id.in_(select(customer_tags.c.tag_id))))


"""One customer search over code, name, pinyin, company, phone digits, email and tags.

Each customer carries `search_text`: its searchable forms, folded, one segment a line.
Its terms (`terms_of`) go into `search_terms`: every place in a segment where someone may
start typing (a word, a Han character, a pinyin syllable of a Chinese name or company,
the last eight digits of a phone), up to the segment's end. A lookup of three characters
or more is then a range scan of that table's primary key (`term >= q AND term < q ||
U+FFFF`), in key order and cut at `CANDIDATES` rows: it reads what it returns, however
many customers match, on SQLite and PostgreSQL alike. (The trigram indexes this replaced,
FTS5 and pg_trgm, merged a posting list per three letters: at 1,000,000 customers "ing"
is in nearly every pinyin, and a company lookup took 45.7 ms p99.) Terms of one or two
characters are prefixes of the name, its pinyin or its initials, from btree indexes.
Candidates are then ranked here, in one place for both dialects.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import repeat
from typing import Any, TypeVar, cast

import phonenumbers
from rapidfuzz import fuzz, process
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    SQLColumnExpression,
    Table,
    and_,
    bindparam,
    delete,
    event,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql.expression import Executable

from storage.bulk import copy_or_executemany, insert_rows, insert_sql
from storage.models import Customer, format_code, search_terms
from storage.search.names import (
    HAN,
    fold,
    han_characters,
    has_han,
    pinyin_forms,
    pinyin_key,
    syllables,
)
from storage.users import Actor, visible_to

# Rows fetched for exact ranking, in the index's order (twice the page; 30 cost a lookup
# 0.3 ms more in ranking and fetching, at 100,000 customers).
CANDIDATES = 20
_CODE = re.compile(r"^c-?0*(\d{1,9})$")
_PHONEISH = re.compile(r"^\+?[\d\s\-().]{4,}$")


class Segment(IntEnum):
    """Where a form sits in `search_text`; the ranking weighs by it."""

    NAME = 0
    PINYIN = 1
    COMPANY = 2
    REGION = 3
    PHONES = 4
    EMAILS = 5
    TAGS = 6
    CODE = 7
    HANDLES = 8
    TITLE = 9


def parse_code(query: str) -> int | None:
    """`C-000123`, `c123` -> 123."""
    match = _CODE.match(fold(query))
    return int(match.group(1)) if match else None


def phone_digits(e164: str) -> list[str]:
    if e164.startswith("+86"):  # most numbers here; parsing them again costs ~45 µs each
        return [e164[1:], e164[3:]]
    forms = [e164.lstrip("+")]
    with contextlib.suppress(phonenumbers.NumberParseException):
        forms.append(str(phonenumbers.parse(e164, None).national_number))
    return forms


def build_search_text(customer: Customer) -> str:
    return with_code(search_segments(
        name=customer.name, company=customer.company, region=customer.region,
        phones=customer.contact_values("phone"), emails=customer.contact_values("email"),
        tags=[t.name for t in customer.tags], title=customer.title,
        handles=[c.value for c in customer.contacts if c.kind in ("wechat", "telegram")],
    ), customer.id)


CODE_MARK = "\ue000"  # where the code goes in a search text made before the id exists


def search_text_without_code(**fields: Any) -> str:
    """The search text with a mark for the code: an import makes it in its worker process
    and puts the code in once the ids are reserved (`with_code`)."""
    segments = search_segments(**fields)
    segments[Segment.CODE] = CODE_MARK
    return "\n".join(s.replace("\n", " ") for s in segments)


def search_segments(*, name: str, company: str | None, region: str | None,
                    phones: Sequence[str], emails: Sequence[str], tags: Sequence[str],
                    title: str | None, handles: Sequence[str]) -> list[str]:
    """Every segment but the code, which needs the id."""
    segments = [""] * len(Segment)
    segments[Segment.NAME] = fold(name)
    segments[Segment.PINYIN] = " ".join(pinyin_forms(name))
    company = company or ""
    segments[Segment.COMPANY] = " ".join(
        filter(None, [fold(company), pinyin_key(company) if has_han(company) else ""])
    )
    segments[Segment.REGION] = fold(region or "")
    segments[Segment.PHONES] = " ".join(d for v in phones for d in phone_digits(v))
    segments[Segment.EMAILS] = " ".join(fold(v) for v in emails)
    segments[Segment.TAGS] = " ".join(tags)
    segments[Segment.HANDLES] = " ".join(fold(v) for v in handles)
    segments[Segment.TITLE] = fold(title or "")
    return segments


def code_segment(customer_id: int) -> str:
    return f"{format_code(customer_id).lower()} c{customer_id}"


def with_code(segments: list[str] | str, customer_id: int) -> str:
    code = code_segment(customer_id)
    if isinstance(segments, str):
        return segments.replace(CODE_MARK, code, 1)
    segments = list(segments)
    segments[Segment.CODE] = code
    return "\n".join(s.replace("\n", " ") for s in segments)


async def insert_customers(session: AsyncSession, rows: list[dict[str, Any]],
                           terms: Sequence[Iterable[str]] | None = None) -> None:
    """Many new customers, then their search terms, in bulk (storage/bulk.py). An import
    passes each row's `terms` made in its worker process (`terms_of` its search text
    before the code was in it: 28 s of the bot's CPU at 100,000 rows, in the event loop);
    the code's own terms are added here."""
    if not rows:
        return
    await insert_rows(session, cast(Table, Customer.__table__), rows)
    if terms is None:
        terms = [terms_of(row["search_text"]) for row in rows]
    else:
        terms = [[*found, *code_terms(row["id"])] for row, found in zip(rows, terms, strict=True)]
    # The (term, customer) pairs are made by `zip` of two flat lists, each grown once per
    # customer: a tuple made in Python for each of 3.4 million terms took 2.0 s of the
    # bot's loop, on the write's critical path.
    words: list[str] = []
    owners: list[int] = []
    for row, found in zip(rows, terms, strict=True):
        words.extend(found)
        owners.extend(repeat(row["id"], len(words) - len(owners)))
    pairs: Iterable[tuple[str, int]] = zip(words, owners, strict=True)
    if any("\x00" in row["search_text"] for row in rows):  # the terms' source; as the guard
        # does; a term without its NUL may equal another of the same customer.
        pairs = list(dict.fromkeys((term.replace("\x00", ""), customer_id)
                                   for term, customer_id in pairs))
    # Not sorted in key order: it saved nothing measurable on either database (3.4 million
    # terms: SQLite 15.3 s as they come, 14.8 s sorted; PostgreSQL 11.8 / 11.6 s) and the
    # sort took 1.3 s of the bot's loop.
    await copy_or_executemany(await session.connection(), search_terms,
                              [c.name for c in search_terms.columns], pairs)


MAX_TERM = 40  # characters of a term kept; a longer query is checked whole by `rank`
SHORTEST_TERM = 3
PHONE_DIGITS_INSIDE = 8  # a phone is found by any run of its last eight digits


def terms_of(search_text: str) -> set[str]:
    """Where each segment may begin to be typed, each start taken to the segment's end."""
    segments = search_text.split("\n")
    terms: set[str] = set()
    for index, value in enumerate(segments):
        if index == Segment.PHONES:
            for digits in value.split():
                terms.add(digits)  # typed from its start: +86 138 …, 138 …
                first = max(0, len(digits) - PHONE_DIGITS_INSIDE)
                terms.update(digits[i:] for i in range(first, len(digits)))
            continue
        terms.update(value[i:i + MAX_TERM].rstrip() for i in _word_starts(value))
        if index in (Segment.NAME, Segment.COMPANY) and has_han(value):
            # 王小明 is looked up as xiaoming too; 星辰科技 as keji.
            words = syllables(han_characters(value))
            terms.update("".join(words[i:])[:MAX_TERM] for i in range(1, len(words)))
    return {term for term in terms if len(term) >= SHORTEST_TERM}


def code_terms(customer_id: int) -> set[str]:
    """The terms of the code segment alone (`terms_of` it gives the same, 30 µs slower):
    with those of a search text made with `CODE_MARK`, the terms of the whole text."""
    code = code_segment(customer_id)  # c-000123 c123
    return {t for t in (code, code[2:], code.rsplit(" ", 1)[1]) if len(t) >= SHORTEST_TERM}


# Where a word may begin to be typed: the first character, and a letter or digit (`[^\W_]`
# is exactly `str.isalnum`) after one that is not, or that is Han or follows a Han
# character (each character of 王小明 begins a word). Found by the regular expression
# engine: the loop over characters it replaced was a third of the CPU of making an
# imported row's terms under the profiler (2.0 of 6.1 s for 20,000 rows), though without
# the profiler's cost a call the whole went only from 1.71 to 1.63 s.
_WORD_START = re.compile(rf"^.|(?=[^\W_])(?:{HAN}|(?<![^\W_]).|(?<={HAN}).)", re.S)


def _word_starts(value: str) -> list[int]:
    return [found.start() for found in _WORD_START.finditer(value)]


def _index_changed_customers(session: Session, _context: Any) -> None:
    """After every flush: the terms of each customer whose search text changed (the ORM's
    one way to change it is `storage.customers.touch`). Deleted customers lose theirs by
    the foreign key's cascade (on PostgreSQL a trigger's, migration 0030)."""
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, Customer)
               and attributes.get_history(o, "search_text").has_changes()]
    if not changed:
        return
    connection = session.connection()
    connection.execute(delete(search_terms).where(
        search_terms.c.customer_id.in_([c.id for c in changed])))
    rows = [(term, c.id) for c in changed for term in terms_of(c.search_text)]
    if rows:
        # Plain tuples straight to the driver: 342,071 terms took 1.86 s through Core's
        # per-row parameter processing, 1.10 s this way (SQLite).
        connection.exec_driver_sql(
            insert_sql(search_terms, ("term", "customer_id"), connection.dialect), rows)


event.listen(Session, "after_flush", _index_changed_customers)


@dataclass(frozen=True)
class SearchHit:
    customer_id: int
    name: str
    company: str | None
    region: str | None
    score: int

    @property
    def code(self) -> str:
        return format_code(self.customer_id)


def query_terms(query: str) -> list[list[str]]:
    """Each term with the forms it may take in `search_text` (raw, pinyin, digits)."""
    folded = fold(query)[:100]
    if not folded:
        return []
    if _PHONEISH.match(folded) and sum(ch.isdigit() for ch in folded) >= 4:
        return [[re.sub(r"\D", "", folded)]]
    terms: list[list[str]] = []
    for word in folded.split():
        forms = [word]
        if has_han(word):
            key = pinyin_key(word)
            # Two Han characters are below the shortest term; their pinyin is not.
            forms = [key] if len(word) < 3 and key else [word, key]
        terms.append([f for f in dict.fromkeys(forms) if f])
    return terms


_WEIGHTS = (
    (Segment.COMPANY, 600),
    (Segment.TAGS, 560),
    (Segment.PHONES, 540),
    (Segment.EMAILS, 520),
    (Segment.PINYIN, 500),
    (Segment.HANDLES, 480),
    (Segment.REGION, 450),
    (Segment.TITLE, 400),
)


class _Parsed:
    """One customer's search_text, split once for all the forms of a query."""

    def __init__(self, search_text: str) -> None:
        segments = search_text.split("\n")
        self.segments = segments + [""] * (len(Segment) - len(segments))
        self.name = self.segments[Segment.NAME]
        self.pinyins = self.segments[Segment.PINYIN].split()
        self.codes = self.segments[Segment.CODE].split()
        self.phones = self.segments[Segment.PHONES].split()

    def score(self, form: str) -> int:
        if form in self.codes:
            return 1000
        if form == self.name:
            return 900
        if form in self.pinyins:
            return 850
        if self.name.startswith(form):
            return 800
        if any(d.endswith(form) for d in self.phones):
            return 720
        if any(p.startswith(form) for p in self.pinyins):
            return 700
        if form in self.name:
            return 650
        best = 0
        for segment, weight in _WEIGHTS:
            value = self.segments[segment]
            if form in value:
                bonus = 30 if value.startswith(form) else 0
                best = max(best, weight + bonus)
        return best


def rank(terms: list[list[str]], search_text: str) -> int:
    parsed = _Parsed(search_text)
    return sum(max(parsed.score(f) for f in forms) for forms in terms)


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def _candidates(actor: Actor, include_archived: bool
                ) -> Select[int, str, str | None, str | None, str]:
    """What a lookup reads of each customer it may find: enough to rank and to list."""
    return _visible(select(Customer.id, Customer.name, Customer.company, Customer.region,
                           Customer.search_text), actor, include_archived)


def _visible(stmt: _Query, actor: Actor, include_archived: bool) -> _Query:
    if not include_archived:
        stmt = stmt.where(Customer.archived.is_(False))
    return stmt.where(visible_to(actor))


def starts_with(column: SQLColumnExpression[str], prefix: str) -> ColumnElement[bool]:
    """A prefix test both dialects answer from a plain btree index (LIKE does not on SQLite)."""
    return and_(column >= prefix, column < prefix + "\uffff")


def _short_match(form: str) -> ColumnElement[bool]:
    """Below the shortest term, a term is a prefix of the name, its pinyin or initials
    (a term of 1-2 characters inside a word is noise, not a lookup)."""
    return or_(starts_with(Customer.name, form), starts_with(Customer.name_pinyin, form),
               starts_with(Customer.name_initials, form))


def _short_exact(forms: list[str]) -> ColumnElement[bool]:
    return or_(*[or_(Customer.name == f, Customer.name_pinyin == f, Customer.name_initials == f)
                 for f in forms])


def _is_short(forms: list[str]) -> bool:
    return any(len(f) < SHORTEST_TERM for f in forms)


# Made once: a new alias per lookup cost 0.5 ms of SQLAlchemy's column bookkeeping.
_LEADING, _OTHER = search_terms.alias("leading"), search_terms.alias("other")


def _has_term(forms: list[str]) -> ColumnElement[bool]:
    """The customer has a term starting with one of the forms (the index on customer_id,
    term answers it per candidate)."""
    return exists().where(_OTHER.c.customer_id == Customer.id,
                          or_(*[starts_with(_OTHER.c.term, f[:MAX_TERM]) for f in forms]))


async def search_customers(
    session: AsyncSession,
    query: str,
    actor: Actor,
    *,
    limit: int = 10,
    include_archived: bool = False,
) -> list[SearchHit]:
    """Customers the actor may see that match every term of the query, best first."""
    terms = query_terms(query)
    if not terms:
        return []
    code = parse_code(query)
    visible = _candidates(actor, include_archived)
    found: dict[int, _Row] = {}
    if len(_TEMPLATES) > 1000:
        _TEMPLATES.clear()
    # Through the connection, not the ORM session: 0.4 ms less a statement, and the rows
    # are plain tuples either way.
    connection = await session.connection()
    if code is not None:
        _add(found, await connection.execute(visible.where(Customer.id == code)))
    if not found:  # a code names one customer: nothing else is looked for
        await _add_candidates(connection, visible, actor, include_archived, terms, limit,
                              found)
    hits = [
        SearchHit(row.id, row.name, row.company, row.region,
                  1000 if row.id == code else rank(terms, row.search_text))
        for row in found.values()
    ]
    if not hits:
        hits = await _fuzzy_names(session, query, actor, include_archived, limit)
    hits.sort(key=lambda h: (-h.score, len(h.name), -h.customer_id))
    return hits[:limit]


_Row = Row[int, str, str | None, str | None, str]


async def _add_candidates(connection: AsyncConnection, visible: Select[int, str, str | None,
                          str | None, str], actor: Actor, include_archived: bool,
                          terms: list[list[str]], limit: int, found: dict[int, _Row]) -> None:
    """Terms of one or two characters by prefix of the name columns; the others through
    the search terms."""
    if len(terms) == 1 and len(terms[0]) == 1 and _is_short(terms[0]):
        # "zh", "wx": prefixes of names, pinyins and initials, from their three indexes in
        # one statement; each index lists the exact ones (张华) first.
        form = terms[0][0]
        key = (actor.sees_whole_team, actor.user_id, include_archived, 0)
        if key not in _TEMPLATES:
            _TEMPLATES[key] = _prefix_ranges(actor, include_archived)
        _add(found, await connection.execute(_TEMPLATES[key],
                                             {"low": form, "high": form + "\uffff"}))
    elif all(_is_short(forms) for forms in terms):
        by_length = (func.length(Customer.name), Customer.id.desc())
        _add(found, await connection.execute(
            visible.where(and_(*[_short_exact(forms) for forms in terms]))
            .order_by(*by_length).limit(CANDIDATES)))
        if len(found) < limit:
            _add(found, await connection.execute(
                visible.where(*[or_(*[_short_match(f) for f in forms]) for forms in terms])
                .order_by(*by_length).limit(CANDIDATES)))
    else:
        if len(terms) > 1 and all(len(forms) == 1 for forms in terms):
            # Words typed together usually stand together ("star logistics"): as one
            # term they are one range scan, and the better match anyway.
            await _add_term_matches(connection, actor, include_archived,
                                    [[" ".join(f[0] for f in terms)]], found)
        if len(found) < limit:
            await _add_term_matches(connection, actor, include_archived, terms, found)


def _add(found: dict[int, _Row], rows: Iterable[_Row]) -> None:
    for row in rows:
        found.setdefault(row.id, row)


async def _add_term_matches(connection: AsyncConnection, actor: Actor, include_archived: bool,
                            terms: list[list[str]], found: dict[int, _Row]) -> None:
    """The first `CANDIDATES` customers in term order that match every term: the longest
    term (it matches the fewest) by its range in the index, the others checked per
    candidate. Within a term's range the exact term comes first, then the longer ones in
    the index's (alphabetical) order; `rank` orders what was found."""
    long = [forms for forms in terms if not _is_short(forms)]
    leading = max(long, key=lambda forms: min(len(f) for f in forms))
    others = [_has_term(forms) for forms in long if forms is not leading]
    others += [or_(*[_short_match(f) for f in forms]) for forms in terms if _is_short(forms)]
    bounds = {}
    for i, form in enumerate(leading):
        bounds[f"low{i}"], bounds[f"high{i}"] = form[:MAX_TERM], form[:MAX_TERM] + "\uffff"
    if others:
        statement = _term_ranges(actor, include_archived, len(leading), others)
    else:  # one word: the usual lookup, its statement built once per member and shape
        key = (actor.sees_whole_team, actor.user_id, include_archived, len(leading))
        if key not in _TEMPLATES:
            _TEMPLATES[key] = _term_ranges(actor, include_archived, len(leading))
        statement = _TEMPLATES[key]
    _add(found, await connection.execute(statement, bounds))


# Building a lookup's statement took 0.3 ms of its 2.5 (median, 100,000 customers). The
# last element of the key: how many forms the leading term has; 0 for a short prefix.
_TEMPLATES: dict[tuple[bool, int, bool, int], Executable] = {}


def _prefix_ranges(actor: Actor, include_archived: bool) -> Executable:
    visible = _candidates(actor, include_archived)
    # In the column's order alone: PostgreSQL's indexes on these hold no id, and ordering
    # ties by id made it read and sort every customer with the same initials (about 4,000
    # for "zh" at 1,000,000; p99 31 ms). `rank` orders what was found.
    ranges = [visible.where(column >= bindparam("low"), column < bindparam("high"))
              .order_by(column).limit(CANDIDATES)
              for column in (Customer.name, Customer.name_pinyin, Customer.name_initials)]
    return union_all(*[select(*r.subquery().c) for r in ranges])


def _term_ranges(actor: Actor, include_archived: bool, forms: int,
                 others: Sequence[ColumnElement[bool]] = ()) -> Executable:
    """Customers in the range of each form (bounds `low0`, `high0`, `low1` …), in one
    statement for all the forms (王小明 and wangxiaoming): one round trip."""
    visible = _candidates(actor, include_archived)
    ranges = [visible.join(_LEADING, _LEADING.c.customer_id == Customer.id)
              .where(_LEADING.c.term >= bindparam(f"low{i}"),
                     _LEADING.c.term < bindparam(f"high{i}"), *others)
              .order_by(_LEADING.c.term, _LEADING.c.customer_id).limit(CANDIDATES)
              for i in range(forms)]
    if forms == 1:
        return ranges[0]
    return union_all(*[select(*r.subquery().c) for r in ranges])


async def recently_changed(session: AsyncSession, actor: Actor, *, limit: int = 10
                           ) -> list[SearchHit]:
    """The customers the actor may see that changed last (an index on `updated_at` walks
    them newest first): what an empty inline query offers."""
    columns = select(Customer.id, Customer.name, Customer.company, Customer.region)
    rows = await session.execute(
        _visible(columns, actor, False).order_by(Customer.updated_at.desc()).limit(limit))
    return [SearchHit(row.id, row.name, row.company, row.region, 0) for row in rows]


async def _fuzzy_names(
    session: AsyncSession, query: str, actor: Actor, include_archived: bool, limit: int
) -> list[SearchHit]:
    """Typo-tolerant fallback when nothing contains the query: edit distance on the pinyin
    of names sharing the first two letters (a typo there is rare, a full scan is not cheap)."""
    key = pinyin_key(query) if has_han(query) else fold(query).replace(" ", "")
    if len(key) < 3:
        return []
    stmt = _visible(
        select(Customer.id, Customer.name, Customer.company, Customer.region,
               Customer.name_pinyin).where(starts_with(Customer.name_pinyin, key[:2])),
        actor,
        include_archived,
    )
    rows = (await session.execute(stmt)).all()
    choices = {i: row.name_pinyin or fold(row.name) for i, row in enumerate(rows)}
    found = process.extract(key, choices, scorer=fuzz.ratio, limit=limit, score_cutoff=80)
    return [
        SearchHit(rows[i].id, rows[i].name, rows[i].company, rows[i].region, int(score))
        for _, score, i in found
    ]


_HONORIFIC = re.compile(
    r"([\u4e00-\u9fff])(?:总|经理|先生|女士|小姐|老师|老板|董|工|姐|哥|主任|处长)")
# "Mr Wang from ACME": a title and a surname in pinyin.
# Not \b before it: glued to Chinese ("电邮了Ms Chen") there is no word boundary.
_LATIN_HONORIFIC = re.compile(
    r"(?<![a-z0-9])(?:mr|mrs|ms|miss|dr|director|manager|boss)\.?\s+([a-z]+)")


async def customers_mentioned(
    session: AsyncSession, text: str, actor: Actor, *, limit: int = 8
) -> list[SearchHit]:
    """Customers a sentence names: by code, by full name, or as 王总 / Mr Wang (surname and
    title). Across scripts, a name in pinyin names a customer stored in Han characters
    ("met wang xiaoming", "called Xiaoming Wang" for 王小明), and Han characters name one
    stored in Latin letters (李伟 for "Li Wei"); not one stored in other Han characters
    (王晓明 for 王小明 is another person who sounds the same).

    When several share the name, the ones whose company the sentence also names win.
    """
    folded = fold(text)[:500]
    visible = _visible(select(Customer.id, Customer.name, Customer.company, Customer.region,
                              Customer.name_pinyin), actor, False)
    code = next((parse_code(word) for word in re.findall(r"c-?\d{1,9}", folded)), None)
    if code is not None:
        rows = (await session.execute(visible.where(Customer.id == code))).all()
        if rows:
            return [SearchHit(r.id, r.name, r.company, r.region, 1000) for r in rows]
    named = _name_candidates(folded)
    keys = named.latin_keys | set(named.han_keys)
    rows = (await session.execute(
        visible.where(or_(Customer.name.in_(named.han), Customer.name_pinyin.in_(keys)))
        .limit(200)
    )).all() if named.han or keys else []
    written = {fold(r.name) for r in rows} & named.han
    hits = [r for r in rows
            if len(r.name) >= 2 and named.names(r.name, r.name_pinyin, folded, written)]
    if not hits:
        hits = await _by_surname(session, visible, text, folded)
    if not hits:
        hits = await _by_company(session, visible, text)
    by_company = [r for r in hits if r.company and fold(r.company) in folded]
    chosen = by_company or hits
    return [SearchHit(r.id, r.name, r.company, r.region, 900) for r in chosen[:limit]]


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,30}")


def _company_spellings(text: str) -> set[str]:
    """Every run of one to four Latin words and every Han substring of two to twelve
    characters: what a company named in the sentence ("Acme says…", "华东贸易反馈…")
    would be, lower-cased as the company index holds it."""
    lowered = text.lower()[:500]
    found: set[str] = set()
    for words in (m.split() for m in re.findall(r"[a-z0-9&.\-]+(?:\s+[a-z0-9&.\-]+)*",
                                                  lowered)):
        for size in range(1, 5):
            found |= {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}
    for run in _HAN_RUN.findall(lowered):
        found |= {run[i:j] for i in range(len(run))
                  for j in range(i + 2, min(len(run), i + 12) + 1)}
    return {f for f in found if len(f) >= 2}


async def _by_company(session: AsyncSession, visible: _Query, text: str) -> list[Any]:
    """No person named: the customers of a company the sentence names ("Acme says the
    license key fails"), read through the lower(company) index."""
    spellings = _company_spellings(text)
    if not spellings:
        return []
    return list((await session.execute(
        visible.where(func.lower(Customer.company).in_(sorted(spellings))).limit(20))).all())


async def _by_surname(session: AsyncSession, visible: _Query, text: str, folded: str
                      ) -> list[Any]:
    """王总, or Mr Wang: the customers with that surname, the most recently contacted
    first."""
    han = _HONORIFIC.findall(text)
    latin = _LATIN_HONORIFIC.findall(folded)
    if not han and not latin:
        return []
    # A name in letters ends with its surname (Mary Chen is Ms Chen): found through the
    # search terms, where every word of a name begins one, then checked below.
    by_terms = [Customer.id.in_(select(_OTHER.c.customer_id).where(
        or_(*[starts_with(_OTHER.c.term, s) for s in latin])))] if latin else []
    rows = (await session.execute(
        visible.where(or_(*[starts_with(Customer.name, s) for s in han],
                          *[starts_with(Customer.name_pinyin, s) for s in latin], *by_terms))
        .order_by(Customer.last_contact_at.desc(), Customer.id.desc()).limit(200)
    )).all()
    # "wan" begins wangxiaoming's pinyin but is not its surname; ouyang is two syllables.
    return [r for r in rows if r.name[:1] in han
            or {"".join(syllables(r.name)[:n]) for n in (1, 2)} & set(latin)
            or (not has_han(r.name) and fold(r.name).split()[-1] in latin)]


_UNIT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff\uf900-\ufaff]+")
MAX_NAME_UNITS = 5  # Han characters, or words, in a name


@dataclass
class NamedInText:
    """The names a sentence may hold: Han stretches as written, and pinyin keys of Latin
    stretches (in both orders: "xiaoming wang" is 王小明 too) and of Han ones."""

    han: set[str] = field(default_factory=set)
    latin_keys: set[str] = field(default_factory=set)
    han_keys: dict[str, set[str]] = field(default_factory=dict)  # key: the Han stretches

    def names(self, name: str, name_pinyin: str, folded: str, written: set[str]) -> bool:
        """Whether the sentence names the customer called `name`; `written`: the Han
        stretches that are some customer's name as they stand."""
        if fold(name) in folded and _stands_alone(fold(name), folded):
            return True  # as it is written
        if name_pinyin in self.latin_keys:
            return True  # in pinyin
        # 李伟 names "Li Wei", unless 李伟 is itself a customer's name.
        return not has_han(name) and bool(self.han_keys.get(name_pinyin, set()) - written)


def _name_candidates(text: str) -> NamedInText:
    """Every stretch of 1-5 neighbouring Han characters or words in `text`, as it stands
    (to find Han names through the index on name) and as a pinyin key (through the index
    on name_pinyin). Looking names up this way reads a few index entries instead of every
    customer's name."""
    units = list(_UNIT.finditer(text))
    named = NamedInText()
    for i, first in enumerate(units):
        for j in range(i, min(i + MAX_NAME_UNITS, len(units))):
            if j > i and text[units[j - 1].end():units[j].start()].strip():
                break  # punctuation between: not one name
            piece = text[first.start():units[j].end()]
            if len(piece) < 2:
                continue
            if all(has_han(u.group()) for u in units[i:j + 1]):
                named.han.add(piece)
                named.han_keys.setdefault(pinyin_key(piece), set()).add(piece)
            else:
                words = syllables(piece)
                named.latin_keys.add("".join(words))
                if 2 <= len(words) <= 3:  # given name first, as English writes it
                    named.latin_keys.add(words[-1] + "".join(words[:-1]))
    return named


def _stands_alone(name: str, text: str) -> bool:
    """A Latin name must be a whole word ("li" is not in "follow"); Han names need not."""
    if has_han(name):
        return True
    return re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text) is not None

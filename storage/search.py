"""One customer search over code, name, pinyin, company, phone digits, email and tags.

Each customer carries `search_text`: its searchable forms, folded, one segment a line.
SQLite finds candidates through an FTS5 trigram table over that column, PostgreSQL
through a pg_trgm GIN index; both answer substring queries of three characters or more
from the index. Candidates are then ranked here, in one place for both dialects.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar

import phonenumbers
from rapidfuzz import fuzz, process
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Customer, format_code
from storage.names import fold, has_han, pinyin_forms, pinyin_key
from storage.users import Actor

CANDIDATES = 300
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
    forms = [e164.lstrip("+")]
    with contextlib.suppress(phonenumbers.NumberParseException):
        forms.append(str(phonenumbers.parse(e164, None).national_number))
    return forms


def build_search_text(customer: Customer) -> str:
    segments = [""] * len(Segment)
    segments[Segment.NAME] = fold(customer.name)
    segments[Segment.PINYIN] = " ".join(pinyin_forms(customer.name))
    company = customer.company or ""
    segments[Segment.COMPANY] = " ".join(
        filter(None, [fold(company), pinyin_key(company) if has_han(company) else ""])
    )
    segments[Segment.REGION] = fold(customer.region or "")
    segments[Segment.PHONES] = " ".join(
        d for v in customer.contact_values("phone") for d in phone_digits(v)
    )
    segments[Segment.EMAILS] = " ".join(fold(v) for v in customer.contact_values("email"))
    segments[Segment.TAGS] = " ".join(t.name for t in customer.tags)
    segments[Segment.CODE] = f"{customer.code.lower()} c{customer.id}"
    segments[Segment.HANDLES] = " ".join(
        fold(c.value) for c in customer.contacts if c.kind in ("wechat", "telegram")
    )
    segments[Segment.TITLE] = fold(customer.title or "")
    return "\n".join(s.replace("\n", " ") for s in segments)


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
            # Two Han characters are below the trigram minimum; their pinyin is not.
            forms = [key] if len(word) < 3 and key else [word, key]
        terms.append([f for f in dict.fromkeys(forms) if f])
    return terms


def _score_form(form: str, segments: Sequence[str]) -> int:
    def seg(i: Segment) -> str:
        return segments[i] if i < len(segments) else ""

    name, pinyins = seg(Segment.NAME), seg(Segment.PINYIN).split()
    if form in seg(Segment.CODE).split():
        return 1000
    if form == name:
        return 900
    if form in pinyins:
        return 850
    if name.startswith(form):
        return 800
    if any(p.startswith(form) for p in pinyins):
        return 700
    if form in name:
        return 650
    if any(d.endswith(form) for d in seg(Segment.PHONES).split()):
        return 720
    best = 0
    for segment, weight in (
        (Segment.COMPANY, 600),
        (Segment.TAGS, 560),
        (Segment.PHONES, 540),
        (Segment.EMAILS, 520),
        (Segment.PINYIN, 500),
        (Segment.HANDLES, 480),
        (Segment.REGION, 450),
        (Segment.TITLE, 400),
    ):
        value = seg(segment)
        if form in value:
            bonus = 30 if value == form or value.startswith(form) else 0
            best = max(best, weight + bonus)
    return best


def rank(terms: list[list[str]], search_text: str) -> int:
    segments = search_text.split("\n")
    return sum(max(_score_form(f, segments) for f in forms) for forms in terms)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def _visible(stmt: _Query, actor: Actor, include_archived: bool) -> _Query:
    if not include_archived:
        stmt = stmt.where(Customer.archived.is_(False))
    if not actor.sees_whole_team:
        stmt = stmt.where(Customer.owner_id == actor.user_id)
    return stmt


def _indexable(forms: list[str]) -> list[str]:
    """Han text matches its pinyin too, and pg_trgm makes no trigrams of Han characters
    under the C locale; filtering by the pinyin alone keeps the index in use."""
    latin = [f for f in forms if not has_han(f)]
    return latin or forms


def _fts_phrase(form: str) -> str:
    return '"' + form.replace('"', '""') + '"'


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
    columns = select(
        Customer.id, Customer.name, Customer.company, Customer.region, Customer.search_text
    )
    stmt = _visible(columns, actor, include_archived)
    code = parse_code(query)
    indexed = all(len(f) >= 3 for forms in terms for f in forms)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and indexed:
        match = " AND ".join("(" + " OR ".join(_fts_phrase(f) for f in forms) + ")"
                             for forms in terms)
        fts_ids: Select[*tuple[Any, ...]] = (
            select(literal_column("rowid"))
            .select_from(table("customer_fts"))
            .where(text("customer_fts MATCH :m").bindparams(m=match))
        )
        condition: ColumnElement[bool] = Customer.id.in_(fts_ids)
    else:
        # Patterns are rendered into the statement so that PostgreSQL plans each query with
        # the pattern known; a generic plan for `LIKE $1` ignores the trigram index.
        condition = and_(*[
            or_(*[Customer.search_text.like(
                bindparam(None, f"%{_escape_like(f)}%", literal_execute=True), escape="\\")
                for f in _indexable(forms)])
            for forms in terms
        ])
    if code is not None:
        condition = or_(condition, Customer.id == code)
    rows = (await session.execute(stmt.where(condition).limit(CANDIDATES))).all()
    hits = [
        SearchHit(row.id, row.name, row.company, row.region,
                  1000 if row.id == code else rank(terms, row.search_text))
        for row in rows
    ]
    if not hits:
        hits = await _fuzzy_names(session, query, actor, include_archived, limit)
    hits.sort(key=lambda h: (-h.score, len(h.name), -h.customer_id))
    return hits[:limit]


async def _fuzzy_names(
    session: AsyncSession, query: str, actor: Actor, include_archived: bool, limit: int
) -> list[SearchHit]:
    """Typo-tolerant fallback when nothing contains the query: edit distance on names."""
    key = pinyin_key(query) if has_han(query) else fold(query)
    if len(key) < 3:
        return []
    stmt = _visible(
        select(Customer.id, Customer.name, Customer.company, Customer.region,
               Customer.name_pinyin),
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

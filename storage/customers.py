"""Customer service: create, change, tag, archive, restore, merge; duplicates at create."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.errors import N_, Conflict, NotFound, ValidationFailed
from storage.models import (
    NUDGE_KINDS,
    ContactKind,
    ContactPoint,
    Customer,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Tag,
)
from storage.search.lookup import build_search_text, starts_with
from storage.search.names import fold, pinyin_initials, pinyin_key
from storage.users import Actor, can_see
from storage.validation import (
    clean_text,
    normalize_email,
    normalize_phone,
    normalize_tag,
    parse_stage,
    parse_tier,
)

TEXT_FIELDS = ("name", "company", "title", "region", "address", "source", "preferences", "notes")
MAX_CONTACTS_PER_KIND = 5
MAX_TAGS = 20
_LIST_SPLIT = re.compile(r"[,;，；、\n]+")


@dataclass(slots=True)
class CustomerDraft:
    """A customer as typed, before validation; also what a chat flow keeps between steps."""

    name: str = ""
    company: str | None = None
    title: str | None = None
    region: str | None = None
    address: str | None = None
    source: str | None = None
    preferences: str | None = None
    notes: str | None = None
    tier: str = "normal"
    stage: str = "lead"
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    wechat: str | None = None
    telegram: str | None = None
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerDraft:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def validate_draft(draft: CustomerDraft, default_region: str) -> CustomerDraft:
    """A cleaned copy: trimmed text within limits, E.164 phones, normalised emails and tags."""
    cleaned: dict[str, Any] = {
        name: clean_text(name, getattr(draft, name), required=name == "name")
        for name in TEXT_FIELDS
    }
    phones, emails = ensure_contacts(
        [normalize_phone(p, default_region) for p in draft.phones],
        [normalize_email(e) for e in draft.emails])
    tags = list(dict.fromkeys(normalize_tag(t) for t in draft.tags))
    if len(tags) > MAX_TAGS:
        raise ValidationFailed("tag", N_("At most {limit} tags."), limit=MAX_TAGS)
    return CustomerDraft(
        **cleaned,
        tier=parse_tier(draft.tier).value,
        stage=parse_stage(draft.stage).value,
        phones=phones,
        emails=emails,
        wechat=clean_text("wechat", draft.wechat),
        telegram=clean_text("telegram", draft.telegram.lstrip("@") if draft.telegram else None),
        tags=tags,
    )


def ensure_contacts(phones: list[str], emails: list[str]) -> tuple[list[str], list[str]]:
    """Normalised phones and emails without repeats, within the limit per kind."""
    phones, emails = list(dict.fromkeys(phones)), list(dict.fromkeys(emails))
    if len(phones) > MAX_CONTACTS_PER_KIND or len(emails) > MAX_CONTACTS_PER_KIND:
        raise ValidationFailed(
            "phone", N_("At most {limit} phones and {limit} emails."), limit=MAX_CONTACTS_PER_KIND
        )
    return phones, emails


@dataclass(frozen=True)
class DuplicateMatch:
    customer_id: int
    name: str
    company: str | None
    certain: bool
    reason: str  # phone | email | name
    visible: bool

    @property
    def code(self) -> str:
        return f"C-{self.customer_id:06d}"


async def find_duplicates(
    session: AsyncSession, draft: CustomerDraft, actor: Actor, *, exclude_id: int | None = None
) -> list[DuplicateMatch]:
    """Same phone or email: certain. Same or nearly the same name in pinyin: possible."""
    found: dict[int, DuplicateMatch] = {}

    def note(customer: Customer, certain: bool, reason: str) -> None:
        if customer.id == exclude_id or customer.id in found:
            return
        found[customer.id] = DuplicateMatch(
            customer.id, customer.name, customer.company, certain, reason, can_see(actor, customer)
        )

    for kind, values in (("phone", draft.phones), ("email", draft.emails)):
        if not values:
            continue
        rows = await session.scalars(
            select(Customer)
            .join(ContactPoint)
            .where(ContactPoint.kind == kind, ContactPoint.value.in_(values))
            .where(Customer.archived.is_(False))
        )
        for customer in rows:
            note(customer, True, kind)

    key = pinyin_key(draft.name)
    if key:
        # Names first, whole records only for the similar ones: up to 500 whole customers
        # sharing a surname's first letters, each with its contacts, tags, owner and
        # shares, put 8 MB on the bot when ten members added at once (100,000 customers).
        names = await session.execute(
            select(Customer.id, Customer.name, Customer.name_pinyin)
            .where(starts_with(Customer.name_pinyin, key[:4]))
            .where(Customer.archived.is_(False))
            .limit(500)
        )
        similar = [row.id for row in names if fuzz.ratio(key, row.name_pinyin) >= 90
                   or fold(row.name) == fold(draft.name)]
        if similar:
            for customer in await session.scalars(select(Customer).where(Customer.id.in_(similar))):
                note(customer, False, "name")
    return sorted(found.values(), key=lambda m: (not m.certain, m.customer_id))


async def tags_named(session: AsyncSession, names: list[str]) -> list[Tag]:
    if not names:
        return []
    existing = {t.name: t for t in await session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            tag = Tag(name=name)
            session.add(tag)
            existing[name] = tag
    return [existing[n] for n in names]


def contact_pairs(draft: CustomerDraft) -> list[tuple[str, str]]:
    """(kind, value) of every phone, email and handle of a validated draft, in order."""
    pairs = [(ContactKind.PHONE.value, p) for p in draft.phones]
    pairs += [(ContactKind.EMAIL.value, e) for e in draft.emails]
    if draft.wechat:
        pairs.append((ContactKind.WECHAT.value, draft.wechat))
    if draft.telegram:
        pairs.append((ContactKind.TELEGRAM.value, draft.telegram))
    return pairs


def _contact_points(draft: CustomerDraft) -> list[ContactPoint]:
    return [ContactPoint(kind=kind, value=value) for kind, value in contact_pairs(draft)]


def add_contacts(customer: Customer, draft: CustomerDraft) -> list[tuple[str, str]]:
    """Gives the customer the draft's contacts it does not have yet; returns those."""
    have = {(c.kind, c.value) for c in customer.contacts}
    extra = [pair for pair in contact_pairs(draft) if pair not in have]
    customer.contacts = customer.contacts + [ContactPoint(kind=k, value=v) for k, v in extra]
    return extra


def touch(customer: Customer) -> None:
    customer.name_pinyin = pinyin_key(customer.name)
    customer.name_initials = pinyin_initials(customer.name)
    customer.updated_at = utcnow()
    customer.search_text = build_search_text(customer)


@asynccontextmanager
async def _audited(
    session: AsyncSession, customer: Customer, actor: Actor, action: str
) -> AsyncIterator[None]:
    """Wraps one change: refreshes the derived columns and writes before/after to the log."""
    before = audit.customer_snapshot(customer)
    yield
    touch(customer)
    await session.flush()
    audit.record(
        session, actor_id=actor.user_id, action=action, entity="customer",
        entity_id=customer.id, before=before, after=audit.customer_snapshot(customer),
    )


async def create_customer(
    session: AsyncSession, draft: CustomerDraft, actor: Actor, *, default_region: str
) -> Customer:
    valid = validate_draft(draft, default_region)
    now = utcnow()
    customer = Customer(
        **{name: getattr(valid, name) for name in TEXT_FIELDS},
        tier=valid.tier,
        stage=valid.stage,
        owner_id=actor.user_id,
        created_at=now,
        updated_at=now,
        last_verified_at=now,
        quiet_since=now,
        unverified_since=now,
        contacts=_contact_points(valid),
        tags=await tags_named(session, valid.tags),
    )
    session.add(customer)
    await session.flush()  # the id, and with it the code, exists from here
    touch(customer)
    await session.flush()
    await session.refresh(customer, ["owner"])
    audit.record(
        session, actor_id=actor.user_id, action="create", entity="customer",
        entity_id=customer.id, after=audit.customer_snapshot(customer),
    )
    return customer


async def customers_in_order(session: AsyncSession, ids: list[int]) -> list[Customer]:
    """The customers with these ids, in the order given (a search's ranking); the caller
    has checked that they may be seen."""
    found = {c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


async def load_customer(session: AsyncSession, customer_id: int, actor: Actor) -> Customer:
    """The customer by id, following merges, if the actor may see it."""
    customer = await session.get(Customer, customer_id)
    hops = 0
    while customer is not None and customer.merged_into_id is not None and hops < 10:
        customer = await session.get(Customer, customer.merged_into_id)
        hops += 1
    if customer is None or not can_see(actor, customer):
        raise NotFound(N_("No customer {code} that you can see."), code=f"C-{customer_id:06d}")
    return customer



EDITABLE = (*TEXT_FIELDS, "tier", "stage", "phone", "email", "wechat", "telegram")
CLEAR = "-"


async def update_field(
    session: AsyncSession,
    customer: Customer,
    field_name: str,
    raw: str,
    actor: Actor,
    *,
    default_region: str,
) -> Customer:
    """Sets one field from what the user typed; `-` clears an optional field."""
    if field_name not in EDITABLE:
        raise ValidationFailed(field_name, N_("That field cannot be changed here."))
    value = raw.strip()
    async with _audited(session, customer, actor, "update"):
        if field_name == "tier":
            customer.tier = parse_tier(value).value
        elif field_name == "stage":
            customer.stage = parse_stage(value).value
        elif field_name in TEXT_FIELDS:
            cleared = value == CLEAR and field_name != "name"
            setattr(customer, field_name,
                    None if cleared else clean_text(field_name, value, required=True))
        else:
            await _replace_contacts(customer, field_name, value, default_region)
            await mark_verified(session, customer)
    return customer


async def _replace_contacts(
    customer: Customer, kind: str, value: str, default_region: str
) -> None:
    items = [] if value == CLEAR else [v.strip() for v in _LIST_SPLIT.split(value) if v.strip()]
    if kind == "phone":
        values = [normalize_phone(v, default_region) for v in items]
    elif kind == "email":
        values = [normalize_email(v) for v in items]
    else:
        values = [v for v in (clean_text(kind, i.lstrip("@")) for i in items) if v]
    values = list(dict.fromkeys(values))
    if len(values) > MAX_CONTACTS_PER_KIND:
        raise ValidationFailed(kind, N_("At most {limit} of those."), limit=MAX_CONTACTS_PER_KIND)
    keep = [c for c in customer.contacts if c.kind != kind]
    old = {c.value: c for c in customer.contacts if c.kind == kind}
    customer.contacts = keep + [old.get(v) or ContactPoint(kind=kind, value=v) for v in values]


async def add_tags(
    session: AsyncSession, customer: Customer, raw: str, actor: Actor
) -> Customer:
    names = [normalize_tag(t) for t in re.split(r"[\s,;，；、]+", raw) if t.strip("# ")]
    if not names:
        raise ValidationFailed("tag", N_("Type at least one tag."))
    wanted = list(dict.fromkeys([t.name for t in customer.tags] + names))
    if len(wanted) > MAX_TAGS:
        raise ValidationFailed("tag", N_("At most {limit} tags."), limit=MAX_TAGS)
    async with _audited(session, customer, actor, "tag"):
        customer.tags = await tags_named(session, wanted)
    return customer


async def set_archived(
    session: AsyncSession, customer: Customer, archived: bool, actor: Actor
) -> Customer:
    if customer.merged_into_id is not None:
        raise Conflict(N_("This record was merged into another one."))
    if customer.archived == archived:
        return customer
    async with _audited(session, customer, actor, "archive" if archived else "restore"):
        customer.archived = archived
        restart_clocks(customer)
        await drop_nudges(session, customer.id)
    return customer


def restart_clocks(customer: Customer) -> None:
    """Sets the stale-scan clocks from the record; an archived or merged one has none."""
    if customer.archived or customer.merged_into_id is not None:
        customer.quiet_since = customer.unverified_since = None
        return
    customer.quiet_since = customer.last_contact_at or customer.created_at
    customer.unverified_since = customer.last_verified_at or customer.created_at


async def drop_nudges(session: AsyncSession, customer_id: int) -> None:
    """The record was archived, merged away or handed over: its open nudges go."""
    await session.execute(
        update(Reminder)
        .where(Reminder.customer_id == customer_id, Reminder.kind.in_(NUDGE_KINDS),
               Reminder.status == ReminderStatus.OPEN)
        .values(status=ReminderStatus.CANCELLED, send_after=None, claim_token=None))


async def settle_nudges(session: AsyncSession, customer_id: int, kind: ReminderKind) -> None:
    """What a nudge asked for happened (a contact, a confirmation): it is done."""
    await session.execute(
        update(Reminder)
        .where(Reminder.customer_id == customer_id, Reminder.kind == kind,
               Reminder.status == ReminderStatus.OPEN)
        .values(status=ReminderStatus.DONE, done_at=utcnow(), send_after=None,
                claim_token=None)
    )


async def mark_verified(session: AsyncSession, customer: Customer) -> None:
    """The contact details were just confirmed or corrected: the unverified clock restarts."""
    customer.last_verified_at = utcnow()
    if not customer.archived:
        customer.unverified_since = customer.last_verified_at
    await settle_nudges(session, customer.id, ReminderKind.UNVERIFIED)


def absorb_fields(target: Customer, source_fields: dict[str, Any]) -> list[str]:
    """Fills the target's empty fields; never overwrites what the target already has.
    Returns the names of the fields it filled."""
    filled = []
    for name in TEXT_FIELDS:
        if not getattr(target, name) and source_fields.get(name):
            setattr(target, name, source_fields[name])
            filled.append(name)
    return filled


async def absorb_draft(
    session: AsyncSession,
    customer: Customer,
    draft: CustomerDraft,
    actor: Actor,
    *,
    default_region: str,
) -> Customer:
    """Adds what a new entry knows to an existing record instead of creating a second one."""
    valid = validate_draft(draft, default_region)
    async with _audited(session, customer, actor, "update"):
        absorb_fields(customer, asdict(valid))
        add_contacts(customer, valid)
        customer.tags = await tags_named(
            session, list(dict.fromkeys([t.name for t in customer.tags] + valid.tags))
        )
        await mark_verified(session, customer)
    return customer


async def count_customers(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Customer.id))) or 0)

"""The customer service against the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage import audit
from storage.customers import (
    CustomerDraft,
    add_tags,
    create_customer,
    find_duplicates,
    load_customer,
    set_archived,
    update_field,
    validate_draft,
)
from storage.database import Database
from storage.dedupe import merge
from storage.errors import Conflict, NotFound, ValidationFailed
from storage.models import AuditEntry, ContactPoint, Customer
from storage.users import Visibility
from tests.conftest import make_member

REGION = "CN"


async def add(db: Database, actor, **fields) -> Customer:  # type: ignore[no-untyped-def]
    async with db.unit_of_work() as session:
        return await create_customer(
            session, CustomerDraft(**fields), actor, default_region=REGION
        )


async def test_create_stores_e164_phone_code_pinyin_and_audit(db: Database) -> None:
    rep = await make_member(db, 1001)
    customer = await add(
        db, rep, name=" 王小明 ", phones=["138 1234 5678"], emails=["Wang@Example.COM"],
        company="ACME", region="上海", tags=["VIP", "#vip"],
    )
    assert customer.code == "C-000001"
    async with db.unit_of_work() as session:
        stored = await load_customer(session, customer.id, rep)
        assert stored.name == "王小明"
        assert stored.name_pinyin == "wangxiaoming"
        assert stored.contact_values("phone") == ["+8613812345678"]
        assert stored.contact_values("email") == ["wang@example.com"]
        assert [t.name for t in stored.tags] == ["vip"]
        assert stored.owner_id == rep.user_id
        entries = await audit.history(session, "customer", customer.id)
    assert [e.action for e in entries] == ["create"]
    assert entries[0].actor_id == rep.user_id
    assert entries[0].after is not None and entries[0].after["name"] == "王小明"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Li", "phones": ["12345"]}, "phone"),
        ({"name": "Li", "phones": ["not a phone"]}, "phone"),
        ({"name": "Li", "emails": ["li@"]}, "email"),
        ({"name": "Li", "tier": "platinum"}, "tier"),
        ({"name": "Li", "stage": "married"}, "stage"),
        ({"name": "Li", "company": "c" * 101}, "company"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    db: Database, fields: dict[str, object], field: str
) -> None:
    rep = await make_member(db, 1001)
    with pytest.raises(ValidationFailed) as error:
        await add(db, rep, **fields)
    assert error.value.field == field
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 0
        assert await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.entity == "customer")
        ) == 0


def test_names_keep_emoji_and_mixed_scripts_but_lose_control_characters() -> None:
    draft = validate_draft(CustomerDraft(name="Anna 王 🚀\u202e\u0007"), REGION)
    assert draft.name == "Anna 王 🚀"


async def test_duplicates_certain_by_phone_and_email_possible_by_pinyin(db: Database) -> None:
    rep = await make_member(db, 1001)
    first = await add(db, rep, name="王小明", phones=["13812345678"], emails=["w@example.com"])
    async with db.unit_of_work() as session:
        same_phone = await find_duplicates(
            session, validate_draft(CustomerDraft(name="Someone", phones=["+86 138-1234-5678"]),
                                    REGION), rep
        )
        same_email = await find_duplicates(
            session, validate_draft(CustomerDraft(name="X", emails=["W@example.com"]), REGION), rep
        )
        homophone = await find_duplicates(
            session, validate_draft(CustomerDraft(name="王晓明"), REGION), rep
        )
        stranger = await find_duplicates(
            session, validate_draft(CustomerDraft(name="李雷"), REGION), rep
        )
    assert [(m.customer_id, m.certain, m.reason) for m in same_phone] == [(first.id, True, "phone")]
    assert [(m.customer_id, m.certain) for m in same_email] == [(first.id, True)]
    assert [(m.customer_id, m.certain, m.reason) for m in homophone] == [
        (first.id, False, "name")
    ]
    assert stranger == []


async def test_update_field_validates_and_audits_before_and_after(db: Database) -> None:
    rep = await make_member(db, 1001)
    customer = await add(db, rep, name="Li Lei", company="Old Co")
    async with db.unit_of_work() as session:
        c = await load_customer(session, customer.id, rep)
        await update_field(session, c, "company", "New Co", rep, default_region=REGION)
        await update_field(session, c, "phone", "13912345678, +1 650 253 0000", rep,
                           default_region=REGION)
        await update_field(session, c, "tier", "core", rep, default_region=REGION)
    with pytest.raises(ValidationFailed):
        async with db.unit_of_work() as session:
            c = await load_customer(session, customer.id, rep)
            await update_field(session, c, "email", "broken@", rep, default_region=REGION)
    async with db.unit_of_work() as session:
        c = await load_customer(session, customer.id, rep)
        assert c.company == "New Co"
        assert c.tier == "core"
        assert c.contact_values("phone") == ["+8613912345678", "+16502530000"]
        assert c.contact_values("email") == []
        entries = await audit.history(session, "customer", customer.id)
    company_change = entries[1]
    assert company_change.before is not None and company_change.after is not None
    assert (company_change.before["company"], company_change.after["company"]) == (
        "Old Co", "New Co"
    )
    assert [e.action for e in entries] == ["create", "update", "update", "update"]


async def test_merge_moves_contacts_and_tags_and_points_old_code_to_survivor(
    db: Database,
) -> None:
    rep = await make_member(db, 1001)
    keep = await add(db, rep, name="王小明", phones=["13812345678"], tags=["vip"])
    gone = await add(db, rep, name="王晓明", phones=["13812345678", "13900001111"],
                     emails=["x@example.com"], company="ACME", tags=["beijing"])
    async with db.unit_of_work() as session:
        survivor = await load_customer(session, keep.id, rep)
        other = await load_customer(session, gone.id, rep)
        await merge(session, survivor, other, rep)
    async with db.unit_of_work() as session:
        survivor = await load_customer(session, keep.id, rep)
        assert sorted(survivor.contact_values("phone")) == ["+8613812345678", "+8613900001111"]
        assert survivor.contact_values("email") == ["x@example.com"]
        assert survivor.company == "ACME"
        assert [t.name for t in survivor.tags] == ["beijing", "vip"]
        redirected = await load_customer(session, gone.id, rep)
        assert redirected.id == keep.id
        old = await session.get(Customer, gone.id)
        assert old is not None and old.archived and old.merged_into_id == keep.id
        orphan_points = await session.scalar(
            select(func.count(ContactPoint.id)).where(ContactPoint.customer_id == gone.id)
        )
        assert orphan_points == 0
        actions = [e.action for e in await audit.history(session, "customer", gone.id)]
    assert actions == ["create", "merged_into"]


async def test_merge_into_itself_is_refused(db: Database) -> None:
    rep = await make_member(db, 1001)
    c = await add(db, rep, name="Solo")
    with pytest.raises(Conflict):
        async with db.unit_of_work() as session:
            same = await load_customer(session, c.id, rep)
            await merge(session, same, same, rep)


async def test_archive_restore_and_tags(db: Database) -> None:
    rep = await make_member(db, 1001)
    c = await add(db, rep, name="Tagged")
    async with db.unit_of_work() as session:
        customer = await load_customer(session, c.id, rep)
        await add_tags(session, customer, "#hot, 重点客户", rep)
        await set_archived(session, customer, True, rep)
    async with db.unit_of_work() as session:
        customer = await load_customer(session, c.id, rep)
        assert customer.archived
        assert [t.name for t in customer.tags] == ["hot", "重点客户"]
        await set_archived(session, customer, False, rep)
    async with db.unit_of_work() as session:
        assert not (await load_customer(session, c.id, rep)).archived


async def test_own_policy_hides_other_reps_customers(db: Database) -> None:
    alice = await make_member(db, 1001, policy=Visibility.OWN)
    bob = await make_member(db, 1002, policy=Visibility.OWN)
    manager = await make_member(db, 1003, role="manager", policy=Visibility.OWN)
    c = await add(db, alice, name="Alice's client")
    async with db.unit_of_work() as session:
        with pytest.raises(NotFound):
            await load_customer(session, c.id, bob)
        assert (await load_customer(session, c.id, manager)).id == c.id


async def test_codes_are_never_reused(db: Database) -> None:
    rep = await make_member(db, 1001)
    first = await add(db, rep, name="First")
    async with db.unit_of_work() as session:
        await session.delete(await session.get(Customer, first.id))
    second = await add(db, rep, name="Second")
    assert second.code == "C-000002"

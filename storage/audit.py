"""The audit log: who changed what, when, with the record before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Customer


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """The fields of a customer as plain JSON, the form the audit log keeps."""
    return {
        "code": customer.code,
        "name": customer.name,
        "company": customer.company,
        "title": customer.title,
        "region": customer.region,
        "address": customer.address,
        "source": customer.source,
        "tier": customer.tier,
        "stage": customer.stage,
        "owner_id": customer.owner_id,
        "preferences": customer.preferences,
        "notes": customer.notes,
        "archived": customer.archived,
        "merged_into_id": customer.merged_into_id,
        "contacts": sorted(f"{c.kind}:{c.value}" for c in customer.contacts),
        "tags": sorted(t.name for t in customer.tags),
    }


def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


async def history(session: AsyncSession, entity: str, entity_id: int) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    )
    return list(rows)

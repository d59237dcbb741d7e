"""Key-value rows for chat-flow state (conversations, per-user drafts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotState


async def load_all(session: AsyncSession, kind: str) -> dict[str, dict[str, Any]]:
    rows = await session.scalars(select(BotState).where(BotState.kind == kind))
    return {row.key: row.value for row in rows}


async def save(session: AsyncSession, kind: str, key: str, value: dict[str, Any]) -> None:
    row = await session.scalar(
        select(BotState).where(BotState.kind == kind, BotState.key == key).with_for_update()
    )
    if row is None:
        session.add(BotState(kind=kind, key=key, value=value))
    else:
        row.value = value


async def remove(session: AsyncSession, kind: str, key: str) -> None:
    await session.execute(delete(BotState).where(BotState.kind == kind, BotState.key == key))

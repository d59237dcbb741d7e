"""An import's life before and around the writing: created from an upload, its columns
and choices set, started, cancelled, listed."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import utcnow
from storage.errors import N_, AccessDenied, Conflict, NotFound
from storage.models import ImportFile, ImportJob, ImportStatus, Role
from storage.users import Actor, ensure_manager

LIVE = (ImportStatus.RUNNING, ImportStatus.DONE)


PART_BYTES = 1024 * 1024  # an upload is kept in parts of this size (models.ImportFile)


async def create_job(session: AsyncSession, actor: Actor, file_name: str,
                     content: bytes | Path, *, chat_id: int | None = None,
                     owner_id: int | None = None) -> ImportJob:
    """A new import of this file (its bytes, or a file on the server, read a part at a
    time); the very same file imported before is refused, so that nothing is created
    twice."""
    ensure_manager(actor)
    digest = await asyncio.to_thread(_sha256, content)
    earlier = await session.scalar(
        select(ImportJob).where(ImportJob.sha256 == digest, ImportJob.status.in_(LIVE))
        .order_by(ImportJob.id.desc()).limit(1))
    if earlier is not None:
        raise Conflict(N_("This very file was already imported (import #{number}, "
                          "{date}). Nothing was imported twice."), number=earlier.id,
                       date=earlier.created_at.strftime("%Y-%m-%d"))
    job = ImportJob(actor_id=actor.user_id, owner_id=owner_id or actor.user_id,
                    chat_id=chat_id, file_name=file_name[:200] or "import", sha256=digest,
                    settings={}, status=ImportStatus.MAPPING, total_rows=0,
                    next_row=0, created_at=utcnow())
    session.add(job)
    await session.flush()
    with _opened(content) as stream:
        part = 0
        while chunk := await asyncio.to_thread(stream.read, PART_BYTES):
            await session.execute(insert(ImportFile).values(import_id=job.id, part=part,
                                                            content=chunk))
            part += 1
    return job


def _sha256(content: bytes | Path) -> str:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    with content.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _opened(content: bytes | Path) -> BinaryIO:
    return io.BytesIO(content) if isinstance(content, bytes) else content.open("rb")


async def copy_file(session: AsyncSession, job_id: int, path: Path) -> None:
    """The import's file written to `path`, a part at a time (empty if it is gone)."""
    parts = list(await session.scalars(select(ImportFile.part).where(
        ImportFile.import_id == job_id).order_by(ImportFile.part)))
    with path.open("wb") as out:
        for part in parts:
            chunk = await session.scalar(select(ImportFile.content).where(
                ImportFile.import_id == job_id, ImportFile.part == part))
            await asyncio.to_thread(out.write, chunk or b"")


async def file_of(session: AsyncSession, job_id: int) -> bytes:
    """The whole file (tests; the import itself copies it with `copy_file`)."""
    parts = await session.scalars(select(ImportFile.content).where(
        ImportFile.import_id == job_id).order_by(ImportFile.part))
    return b"".join(parts)


async def drop_file(session: AsyncSession, job_id: int) -> None:
    await session.execute(delete(ImportFile).where(ImportFile.import_id == job_id))


async def load_job(session: AsyncSession, actor: Actor, job_id: int) -> ImportJob:
    """The import if the actor started it, or any import for an admin."""
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(N_("There is no import #{number}."), number=job_id)
    if job.actor_id != actor.user_id and actor.role is not Role.ADMIN:
        raise AccessDenied(N_("That import is not yours."))
    return job


def ensure_mapping(job: ImportJob) -> ImportJob:
    """Columns and choices change only before the import is confirmed."""
    if job.status != ImportStatus.MAPPING:
        raise Conflict(N_("This import was already confirmed or cancelled."))
    return job


def change(job: ImportJob, **settings: Any) -> None:
    job.settings = {**ensure_mapping(job).settings, **settings}


def start(job: ImportJob, total_rows: int) -> None:
    ensure_mapping(job)
    job.status, job.started_at, job.total_rows = ImportStatus.RUNNING, utcnow(), total_rows


async def cancel(session: AsyncSession, job: ImportJob) -> None:
    ensure_mapping(job)
    job.status = ImportStatus.CANCELLED
    await drop_file(session, job.id)


async def running(session: AsyncSession) -> list[int]:
    return list(await session.scalars(
        select(ImportJob.id).where(ImportJob.status == ImportStatus.RUNNING)
        .order_by(ImportJob.id)))


async def unfinished(session: AsyncSession, digests: list[str]) -> set[str]:
    """Those of these files that an import still previews or writes."""
    return set(await session.scalars(select(ImportJob.sha256).where(
        ImportJob.sha256.in_(digests),
        ImportJob.status.in_((ImportStatus.MAPPING, ImportStatus.RUNNING)))))


async def recent(session: AsyncSession, actor: Actor, limit: int = 10) -> list[ImportJob]:
    ensure_manager(actor)
    query = select(ImportJob).where(ImportJob.status.in_(
        (*LIVE, ImportStatus.UNDONE))).order_by(ImportJob.id.desc()).limit(limit)
    if actor.role is not Role.ADMIN:
        query = query.where(ImportJob.actor_id == actor.user_id)
    return list(await session.scalars(query))


ABANDONED_AFTER = timedelta(days=1)


async def drop_abandoned(session: AsyncSession) -> int:
    """Previews nobody imported or cancelled for a day are cancelled and their files
    dropped (a 20 MB upload would otherwise stay in the database for good)."""
    old = list(await session.scalars(
        select(ImportJob).where(ImportJob.status == ImportStatus.MAPPING,
                                ImportJob.created_at < utcnow() - ABANDONED_AFTER)))
    for job in old:
        await cancel(session, job)
    return len(old)


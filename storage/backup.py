"""Online backups of the SQLite database: consistent while the bot runs, rotated, and
encrypted (libsodium's secretbox through PyNaCl) when a key is configured. Restore checks
a file completely before it touches the live database. (PostgreSQL: pg_dump, see
docs/operations.md.)"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import sqlite3
import tempfile
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from storage.clock import utcnow

if TYPE_CHECKING:
    from nacl.secret import SecretBox

SQLITE_MAGIC = b"SQLite format 3\x00"
PREFIX = "salesbot-"
REQUIRED_TABLES = {"alembic_version", "customers", "users", "audit_log"}


class BackupError(Exception):
    """A clear, one-line reason why a backup or restore cannot be done."""


def sqlite_file(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError("built-in backups are for the SQLite database; for PostgreSQL "
                          "use pg_dump (docs/operations.md)")
    return Path(url.database)


def make_backup(database_url: str, folder: Path, *, keep: int, key: str, now: datetime
                ) -> Path:
    """Copies the live database with SQLite's backup API; keeps the newest `keep`."""
    source = sqlite_file(database_url)
    if not source.exists():
        raise BackupError(f"no database file at {source}")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{PREFIX}{now:%Y%m%d-%H%M%S}.db{'.enc' if key else ''}"
    partial = folder / (final.name + ".part")
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
    if key:
        final.write_bytes(bytes(_box(key).encrypt(partial.read_bytes())))
        partial.unlink()
    else:
        partial.replace(final)
    rotate(folder, keep)
    return final


async def back_up(database_url: str, folder: Path, *, keep: int, key: str) -> Path:
    """`make_backup` in a thread: the copy must not stall the bot's event loop."""
    return await asyncio.to_thread(make_backup, database_url, folder, keep=keep, key=key,
                                   now=utcnow())


def backups_in(folder: Path) -> list[Path]:
    """Oldest first (the names sort by time)."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.glob(f"{PREFIX}*.db*") if not p.name.endswith(".part"))


def rotate(folder: Path, keep: int) -> None:
    for old in backups_in(folder)[:-keep]:
        old.unlink()


def read_backup(file: Path, key: str) -> bytes:
    """The plain database bytes of a backup file, or a BackupError saying why not."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BackupError(f"cannot read {file}: {error.strerror}") from error
    if not data.startswith(SQLITE_MAGIC):
        if not key:
            raise BackupError(f"{file.name} is encrypted or not a backup; set backup.key "
                              "(or SALESBOT_BACKUP_KEY) to the key it was made with")
        from nacl.exceptions import CryptoError

        try:
            data = _box(key).decrypt(data)
        except (CryptoError, ValueError) as error:
            raise BackupError(f"{file.name}: wrong key, or the file is damaged") from error
    if not data.startswith(SQLITE_MAGIC):
        raise BackupError(f"{file.name} is not a salesbot backup")
    return data


def _check(candidate: Path) -> None:
    try:
        with closing(sqlite3.connect(candidate)) as db:
            status = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the backup is damaged: {error}") from error
    if status != "ok":
        raise BackupError(f"the backup is damaged: {status}")
    if not tables >= REQUIRED_TABLES:
        raise BackupError("the file is an SQLite database but not a salesbot backup")


def restore_backup(database_url: str, file: Path, key: str) -> None:
    """Replaces the live database with the backup, in one step, after checking it whole.
    The bot should be stopped; a refused file leaves the current data untouched."""
    target = sqlite_file(database_url)
    data = read_backup(file, key)
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / "restore.db"
        candidate.write_bytes(data)
        _check(candidate)
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(candidate)) as source, \
                closing(sqlite3.connect(target)) as live:
            source.backup(live)


KEY_BYTES = 32


def key_problem(key: str) -> str | None:
    """Why `key` cannot encrypt backups, or None if it can."""
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (ValueError, binascii.Error):
        return "not base64"
    return None if len(raw) == KEY_BYTES else f"must be {KEY_BYTES} bytes, base64-encoded"


def _box(key: str) -> SecretBox:
    # Imported when used, like PyNaCl's libsodium: a running bot rarely needs them.
    from nacl.secret import SecretBox

    problem = key_problem(key)
    if problem:
        raise BackupError(f"backup.key is {problem}")
    return SecretBox(base64.urlsafe_b64decode(key.encode()))


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()

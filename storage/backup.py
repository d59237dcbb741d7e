"""Online backups of the SQLite database: consistent while the bot runs, rotated, and
encrypted (libsodium's secretbox through PyNaCl) when a key is configured. Restore checks
a file completely before it touches the live database. (PostgreSQL: pg_dump, see
docs/operations.md.)

A database encrypted at rest (storage/encryption.py) is copied page by page with its own
key, so its backups are encrypted with it even without `backup.key`; with both, the copy
is sealed once more. Restoring needs the key the backup was made with."""

from __future__ import annotations

import asyncio
import base64
import tempfile
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from storage.clock import utcnow
from storage.encryption import (
    SQLITE_MAGIC,
    EncryptionError,
    database_errors,
    encrypt_in_place,
    is_plain,
    key_of,
    key_problem,
    with_key,
)
from storage.encryption import connect as connect_file

if TYPE_CHECKING:
    from nacl.secret import SecretBox

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
    database_key = key_of(database_url)
    with closing(connect_file(source, database_key)) as live, \
            closing(connect_file(partial, database_key)) as copy:
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


def read_backup(file: Path, key: str, database_key: str = "") -> bytes:
    """The database bytes of a backup file (an SQLCipher file when it was made from an
    encrypted database), or a BackupError saying why not."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BackupError(f"cannot read {file}: {error.strerror}") from error
    if not data.startswith(SQLITE_MAGIC) and file.suffix == ".enc":
        if not key:
            raise BackupError(f"{file.name} is encrypted; set backup.key "
                              "(or SALESBOT_BACKUP_KEY) to the key it was made with")
        from nacl.exceptions import CryptoError

        try:
            data = _box(key).decrypt(data)
        except (CryptoError, ValueError) as error:
            raise BackupError(f"{file.name}: wrong key, or the file is damaged") from error
    if not data.startswith(SQLITE_MAGIC) and not database_key:
        raise BackupError(f"{file.name} is encrypted or not a salesbot backup; a backup of "
                          "an encrypted database needs database.key (the key it was made "
                          "with)")
    return data


def _check(candidate: Path, database_key: str) -> None:
    try:
        with closing(connect_file(candidate, "" if is_plain(candidate) else database_key)) as db:
            status = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except database_errors() as error:
        if not is_plain(candidate):
            raise BackupError("the backup does not open with database.key: made with "
                              "another key, or damaged") from error
        raise BackupError(f"the backup is damaged: {error}") from error
    if status != "ok":
        raise BackupError(f"the backup is damaged: {status}")
    if not tables >= REQUIRED_TABLES:
        raise BackupError("the file is an SQLite database but not a salesbot backup")


def restore_backup(database_url: str, file: Path, key: str) -> None:
    """Replaces the live database with the backup, in one step, after checking it whole.
    The bot should be stopped; a refused file leaves the current data untouched."""
    target = sqlite_file(database_url)
    database_key = key_of(database_url)
    data = read_backup(file, key, database_key)
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / "restore.db"
        candidate.write_bytes(data)
        _check(candidate, database_key)
        if database_key and is_plain(candidate):
            # A backup from before the database was encrypted: encrypted on its way in.
            try:
                encrypt_in_place(with_key(f"sqlite:///{candidate}", database_key),
                                 database_key)
            except EncryptionError as error:
                raise BackupError(str(error)) from error
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(connect_file(candidate, database_key)) as source, \
                closing(connect_file(target, database_key)) as live:
            source.backup(live)


def _box(key: str) -> SecretBox:
    # Imported when used, like PyNaCl's libsodium: a running bot rarely needs them.
    from nacl.secret import SecretBox

    problem = key_problem(key)
    if problem:
        raise BackupError(f"backup.key is {problem}")
    return SecretBox(base64.urlsafe_b64decode(key.encode()))



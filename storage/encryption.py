"""The SQLite database encrypted at rest with SQLCipher.

The key travels inside the database URL, as SQLAlchemy's own pysqlcipher dialect has it
(`sqlite+aiosqlite://:KEY@/data/salesbot.db`): settings put `database.key` there once,
and every part that opens the database (the bot's engine, Alembic, an import's or an
export's worker process, backups, the tests' child processes) gets it with the URL it
already receives, while SQLAlchemy prints the URL with `***` in its place.

A key is 32 random bytes, base64 (`salesbot db new-key`), handed to SQLCipher as a raw
key: SQLCipher's own key derivation (256,000 PBKDF2 rounds) is for passphrases and costs
every new connection; a random key needs none. The engine stays the aiosqlite one, with
`sqlcipher3` (SQLite 3.53; the search terms are in the same file, encrypted too) in place of
the standard library's `sqlite3` underneath.

Encrypting a plain database and changing the key are copy, verify, swap: the new file is
written beside the old one with `sqlcipher_export`, opened with its key and compared
table by table, then renamed over the old one in one step. Cut short anywhere before the
rename, the old file is still there and untouched.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

KEY_BYTES = 32
SQLITE_MAGIC = b"SQLite format 3\x00"


class EncryptionError(Exception):
    """One line saying why the database cannot be opened, encrypted or re-keyed."""


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a key (database or backup), or None if it can."""
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (ValueError, binascii.Error):
        return "not base64"
    return None if len(raw) == KEY_BYTES else f"must be {KEY_BYTES} bytes, base64-encoded"


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def with_key(url: str, key: str) -> str:
    """The SQLite URL that opens the database with `key` (other URLs as they are)."""
    parsed = make_url(url)
    if not key or parsed.get_backend_name() != "sqlite" or not parsed.database:
        return url
    return f"{parsed.drivername}://:{quote(key, safe='')}@/{parsed.database}"


def key_of(url: str | URL) -> str:
    parsed = make_url(url)
    return (parsed.password or "") if parsed.get_backend_name() == "sqlite" else ""


def without_key(url: str | URL) -> URL:
    parsed = make_url(url)
    return URL.create(parsed.drivername, database=parsed.database, query=parsed.query)


def _raw(key: str) -> str:
    problem = key_problem(key)
    if problem:
        raise EncryptionError(f"the key is {problem}; `salesbot db new-key` makes one")
    return "x'" + base64.urlsafe_b64decode(key.encode()).hex() + "'"


def connect(path: str | Path, key: str = "", *, cipher: bool = False, **kwargs: Any) -> Any:
    """A DB-API connection to the SQLite file: SQLCipher's with the key set when there is
    a key (or `cipher`: sqlcipher_export needs SQLCipher on a plain file too), the standard
    library's otherwise."""
    if not key and not cipher:
        return sqlite3.connect(path, **kwargs)
    import sqlcipher3

    connection = sqlcipher3.connect(str(path), **kwargs)
    # A wrong key would otherwise make SQLCipher print three ERROR lines of its own.
    connection.execute("PRAGMA cipher_log_level = NONE")
    if not key:
        return connection
    connection.execute(f'PRAGMA key = "{_raw(key)}"')
    # SQLCipher decrypts a page each time it enters SQLite's page cache; a cache of 8 MB
    # instead of 2 keeps a lookup's index pages decrypted between lookups.
    connection.execute(f"PRAGMA cache_size = -{DECRYPTED_CACHE_KB}")
    return connection


DECRYPTED_CACHE_KB = 8192


def aiosqlite_module(key: str) -> Any:
    """What SQLAlchemy's aiosqlite dialect takes as its DB-API (`module=`): aiosqlite's
    thread-per-connection, over SQLCipher's connections and with SQLCipher's exception
    classes, so that IntegrityError and the rest are translated as they are today."""
    import aiosqlite
    import sqlcipher3.dbapi2 as dbapi
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

    def open_keyed(database: str, **kwargs: Any) -> aiosqlite.Connection:
        return aiosqlite.Connection(lambda: connect(database, key, **kwargs), 64)

    errors = ("DatabaseError", "Error", "IntegrityError", "NotSupportedError",
              "OperationalError", "ProgrammingError", "Warning", "InterfaceError",
              "InternalError", "DataError")
    shim = SimpleNamespace(
        connect=open_keyed, Connection=aiosqlite.Connection,
        sqlite_version=dbapi.sqlite_version, sqlite_version_info=dbapi.sqlite_version_info,
        **{name: getattr(dbapi, name) for name in errors})
    return AsyncAdapt_aiosqlite_dbapi(shim, dbapi)  # type: ignore[arg-type]


def is_plain(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def check_opens(url: str) -> None:
    """Raises EncryptionError with one line when the SQLite database at `url` cannot be
    opened as configured: encrypted without a key, plain with one, or a wrong key. Reads
    only; a missing file is fine (it is made, encrypted when there is a key)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    path, key = Path(parsed.database), key_of(parsed)
    if not path.exists() or path.stat().st_size == 0:
        if key:
            _raw(key)
        return
    plain = is_plain(path)
    if plain and key:
        raise EncryptionError(
            f"{path} is not encrypted but database.key is set: run `salesbot db encrypt` "
            "to encrypt it with that key, or unset the key")
    if not plain and not key:
        raise EncryptionError(
            f"{path} is encrypted: set database.key (or SALESBOT_DATABASE_KEY) to its key")
    if key and not opens(path, key):
        raise EncryptionError(f"database.key does not open {path}: wrong key, or the file "
                              "is damaged")


def database_errors() -> tuple[type[Exception], ...]:
    """What the standard library's sqlite3 and SQLCipher raise for a file that is not a
    database (or not with this key): two unrelated classes."""
    import sqlcipher3

    return sqlite3.DatabaseError, sqlcipher3.DatabaseError


def opens(path: Path, key: str) -> bool:
    try:
        with closing(connect(path, key)) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except database_errors():
        return False
    return True


def encrypt_in_place(url: str, key: str, *, rekey_to: str | None = None,
                     before_swap: Callable[[Path], None] | None = None) -> Path:
    """Encrypts the plain database at `url` with `key`; or, when `rekey_to` is given,
    re-keys the database that `key` opens. The bot must be stopped (the caller holds the
    instance lock). `before_swap` is for the tests: a kill there must leave the old file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise EncryptionError("only an SQLite database is encrypted by salesbot; for "
                              "PostgreSQL see docs/operations.md (TLS and disk encryption)")
    path = Path(parsed.database)
    if not path.exists():
        raise EncryptionError(f"no database file at {path}")
    old_key = "" if rekey_to is None else key
    target_key = key if rekey_to is None else rekey_to
    _raw(target_key)
    if rekey_to is None and not is_plain(path):
        raise EncryptionError(f"{path} is already encrypted; `salesbot db rekey` changes "
                              "its key")
    if rekey_to is not None and not opens(path, key):
        raise EncryptionError(f"database.key does not open {path}")
    copy = path.with_name(path.name + ".encrypting")
    copy.unlink(missing_ok=True)
    with closing(connect(path, old_key, cipher=True, isolation_level=None)) as source:
        # Everything in the write-ahead log goes into the file, and stays out of the copy's
        # way: a WAL left beside the new file would be read as belonging to it.
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source.execute(f"ATTACH DATABASE ? AS target KEY \"{_raw(target_key)}\"", (str(copy),))
        source.execute("SELECT sqlcipher_export('target')")
        source.execute("DETACH DATABASE target")
    _verify(path, old_key, copy, target_key)
    if before_swap is not None:
        before_swap(copy)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(copy, path)
    return path


def _verify(original: Path, original_key: str, copy: Path, copy_key: str) -> None:
    """The copy opens with its key, passes SQLite's integrity check and holds as many rows
    in every table as the original."""
    with closing(connect(original, original_key, cipher=True)) as old, \
            closing(connect(copy, copy_key)) as new:
        status = new.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            copy.unlink(missing_ok=True)
            raise EncryptionError(f"the encrypted copy failed its check ({status}); "
                                  f"{original} is unchanged")
        for (name,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                   "AND name NOT LIKE 'sqlite_%'").fetchall():
            count = f'SELECT count(*) FROM "{name}"'
            if old.execute(count).fetchone() != new.execute(count).fetchone():
                copy.unlink(missing_ok=True)
                raise EncryptionError(f"the encrypted copy differs in {name}; {original} "
                                      "is unchanged")

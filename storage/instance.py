"""Which process is the active one (DESIGN decision 12).

PostgreSQL: the active instance holds a session advisory lock on a connection of its own;
a second instance waits for it, trying every `STANDBY_TRY_SECONDS`, and takes over when
the holder's connection ends (a killed process's socket is closed by its kernel, so the
server lets go at once). The holder checks its connection every `CHECK_SECONDS`; once it
is lost, another instance may already be active, so the holder must stop.

When the lock's connection is lost (a failover, a restart, pg_terminate_backend), the
holder stops answering at once (bot/process/service.py) and calls `acquire` again: in the
same process it becomes the active instance again, or the standby if another won. While
the server refuses connections, `acquire` keeps trying, from half a second apart up to
`STANDBY_TRY_SECONDS`, and says so in one line when it begins and one when the server is
back, with how long it was away.

SQLite: one process at a time, enforced by an exclusive `flock` on a file beside the
database; a second one is refused with a clear message. The kernel drops the lock when
the process dies, however it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database, is_disconnect

log = logging.getLogger(__name__)
# "salesbot" in ASCII: the advisory lock's key, one per database.
LOCK_KEY = int.from_bytes(b"salesbot", "big")
STANDBY_TRY_SECONDS = 2.0
FIRST_RETRY_SECONDS = 0.5
# How often the holder asks its lock's connection whether it is still there: a lost lock
# is noticed within this and the query's own timeout (issue 27's target: the first answer
# within 5 s of the cut, re-election and restart included).
CHECK_SECONDS = 1.0
# A server that takes connections but does not answer them counts as away.
CONNECT_SECONDS = 5.0


class AlreadyRunning(Exception):
    """Another salesbot is active on this SQLite database."""


class InstanceLock:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._connection: AsyncConnection | None = None
        self._file: IO[str] | None = None

    @property
    def shared(self) -> bool:
        """Whether instances can stand by for each other here (PostgreSQL)."""
        return self.database.dialect == "postgresql"

    async def acquire(self, *, give_up: asyncio.Event | None = None) -> bool:
        """Returns once this process is the active one (False if `give_up` was set first).
        On SQLite, raises AlreadyRunning instead of waiting."""
        if not self.shared:
            self._lock_file()
            return True
        away_since: float | None = None
        wait = FIRST_RETRY_SECONDS
        while give_up is None or not give_up.is_set():
            try:
                held = await self._try_advisory_lock()
            except Exception as error:
                if not is_disconnect(error):
                    raise
                if away_since is None:
                    away_since = time.monotonic()
                    log.warning("the database does not answer (%s): trying again until it "
                                "does", str(error).splitlines()[0] or type(error).__name__)
                wait = min(wait * 2, STANDBY_TRY_SECONDS)
            else:
                if away_since is not None:
                    log.warning("the database answers again, after %.1f s",
                                time.monotonic() - away_since)
                    away_since = None
                if held:
                    return True
                wait = STANDBY_TRY_SECONDS
            if give_up is None:
                await asyncio.sleep(wait)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(give_up.wait(), wait)
        return False

    async def _try_advisory_lock(self) -> bool:
        connection = await asyncio.wait_for(self.database.engine.connect(), CONNECT_SECONDS)
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            held = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        except Exception:
            await connection.close()
            raise
        if held:
            self._connection = connection
            return True
        await connection.close()
        return False

    def _lock_file(self) -> None:
        database = make_url(self.database.url).database
        if not database or database == ":memory:":
            return
        path = Path(database).with_name(Path(database).name + ".lock")
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise AlreadyRunning(
                f"another salesbot (pid {holder}) is already running on {database}; "
                "SQLite allows one: stop it first, or use PostgreSQL to run a standby"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    async def lost(self) -> None:
        """Returns when the lock can no longer be trusted (never on SQLite)."""
        if self._connection is None:
            await asyncio.Event().wait()
            return
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                await asyncio.wait_for(self._connection.scalar(text("SELECT 1")), CHECK_SECONDS)
            except Exception:
                return

    async def release(self) -> None:
        if self._connection is not None:
            # The server lets the lock go with the connection; one already gone has.
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


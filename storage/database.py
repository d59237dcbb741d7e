"""Engine, SQLite pragmas and the unit of work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.util import await_

from storage import encryption, inbox
from storage.clock import utcnow

WROTE = "wrote"
T = TypeVar("T")


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The WAL is copied into the database every 1 GB instead of every 4 MB: a page
    # changed by many commits is copied once per checkpoint. At 64 MB a 100,000-row
    # import's commits took 4.4 s instead of 6.8 s; but one batch of a large import
    # changes some 60,000 pages of the search terms' index (240 MB) once it holds
    # millions of terms, so each commit was followed by a checkpoint of all of them. The
    # 34 million terms of 1,000,000 rows, in the import's batches (sqlite3 alone, this
    # VM, two runs at once): 190 s to 600,000 rows at 64 MB, 154 s at 256 MB, 144 s at
    # 1 GB. The file is cut back to 64 MB after each checkpoint; reopening after a crash
    # reads what the WAL holds (at most about 1 GB) once.
    cursor.execute("PRAGMA wal_autocheckpoint=262144")
    cursor.execute("PRAGMA journal_size_limit=67108864")
    cursor.close()


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without_nul(item) for item in value)
    return value


def _strip_nul(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> tuple[str, Any]:
    """PostgreSQL refuses NUL in text, SQLite keeps it: neither is wanted from a chat, and
    one rule for every statement is surer than cleaning each input on its way in. The
    parameters are walked only when their repr shows a NUL: walking every bulk insert's
    values cost 0.7 s of a 20,000-row import, the repr (in C) a few ms."""
    if "\\x00" not in repr(parameters):
        return statement, parameters
    return statement, _without_nul(parameters)


# SQLite's page cache for one bulk transaction (an import's batch), in KiB; the
# connection's own 2 MB comes back before the commit. A batch of 1,000 rows changes some
# 9,000 pages of `customers`, `search_terms` and their indexes: with 2 MB they were
# written out to the WAL and read back within the transaction. The write of 100,000 rows
# took 32.8-36.4 s with 64 MB, 38.6-41.0 s without, SQLite's own CPU 21.3-23.6 s against
# 26.0-27.9 s (this VM, runs alternated). 32 MB did as well as 64 (SQLite's CPU
# 21.7-24.6 s against 20.7-24.1 s, alternated), and the bot's peak over those rows is
# what it lends: 206 MB (the heap trimmed after each batch, bot/tables/importing.py)
# against 168 MB before, a margin a 1,000,000-row import needs under its 300 MB. Batches
# are 2,000 rows since, with the same 32 MB: the write took as long or less (19.9-22.5 s
# against 21.8-22.7 s, alternated).
BULK_CACHE_KIB = 32_768
_DEFAULT_CACHE = -2000  # SQLite's own default (2 MB)


@asynccontextmanager
async def bulk_page_cache(session: AsyncSession) -> AsyncIterator[None]:
    """Within it, the SQLite session's transaction keeps up to BULK_CACHE_KIB of pages
    in memory. The cache is given back when it ends: lowering the size frees the clean
    pages at once and the dirty ones at the commit, so the bot's memory is only lent
    (each pooled connection would keep its 32 MB otherwise). PostgreSQL has its
    own shared buffers."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    await session.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):  # the transaction's own error is the one told
            await session.execute(text(f"PRAGMA cache_size={_DEFAULT_CACHE}"))
        raise
    await session.execute(text(f"PRAGMA cache_size={_DEFAULT_CACHE}"))


class _Session(Session):
    """Knows whether it wrote (`info[WROTE]`): only a writing unit of work marks the
    update being handled done."""


def _flushed(session: Session, _context: Any) -> None:
    # Still the state before the flush: an object merely touched is not a write.
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        session.info[WROTE] = True


def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


event.listen(_Session, "after_flush", _flushed)
event.listen(_Session, "do_orm_execute", _executed)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    key = encryption.key_of(parsed)
    if key:
        kwargs["module"] = encryption.aiosqlite_module(key)
        parsed = encryption.without_key(parsed)
    if parsed.get_backend_name() == "postgresql":
        # A failover, a restart or pg_terminate_backend ends every pooled connection; the
        # first lookups after it must not fail on one (issue 27). The ping costs one round
        # trip per checkout.
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
    event.listen(engine.sync_engine, "before_cursor_execute", _strip_nul, retval=True)
    return engine


def is_disconnect(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) says the connection to the database was lost or
    could not be made: SQLAlchemy's own verdict, a refused or reset socket, or the server's
    SQLSTATE for a connection failure (08xxx) or an administrator's shutdown (57Pxx, which
    pg_terminate_backend and a failover give)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, ConnectionError | TimeoutError) or (
                isinstance(error, OSError) and error.errno is not None):
            return True
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state.startswith("57P")):
            return True
        error = error.__cause__ or error.__context__
    return False


READS = ("SELECT", "PRAGMA", "WITH", "EXPLAIN")
HOLDS_TURN = "holds_writer_turn"


class WriterTurns:
    """SQLite lets one transaction write at a time and makes the others wait in its busy
    handler, which naps (up to 100 ms a nap) and retries, with no queue: with 200 members
    adding at once (bench/updates.py), writers starved for the whole 5 s busy timeout and
    members got "database is locked". So this process's writers take turns first, in
    arrival order, on an asyncio lock: a connection takes the turn before its first write
    statement (a lookup never does) and gives it back when its transaction ends, and SQLite
    sees one writer from this process at a time. The turn is taken with the connection
    already in hand: taken before, a writer held the turn while it waited for the pool,
    whose every connection was held by writers waiting for the turn. Other processes (the
    CLI, an import's workers) still meet the busy handler. PostgreSQL locks rows itself."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.lock = asyncio.Lock()
        self.holder: asyncio.Task[Any] | None = None
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before_statement)
        event.listen(sync, "commit", self._ended)
        event.listen(sync, "rollback", self._ended)
        event.listen(sync.pool, "checkin", self._checked_in)

    def _before_statement(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if conn.info.get(HOLDS_TURN) or statement.lstrip()[:7].upper().startswith(READS):
            return
        task = asyncio.current_task()
        if self.lock.locked() and self.holder is task:
            # It would wait for itself for ever (SQLite said "database is locked" after 5 s).
            raise RuntimeError("a unit of work opened inside another that has written "
                               "tried to write too: write in the outer one")
        await_(self.lock.acquire())  # in SQLAlchemy's greenlet: this task waits, not the loop
        self.holder = task
        conn.info[HOLDS_TURN] = True

    def _ended(self, conn: Any) -> None:
        self._give_back(conn.info)

    def _checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        self._give_back(record.info)  # a connection returned without commit or rollback

    def _give_back(self, info: dict[Any, Any]) -> None:
        if info.pop(HOLDS_TURN, False):
            self.holder = None
            self.lock.release()


class Database:
    """Owns the engine; hands out one transaction per unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self._turns = WriterTurns(self.engine) if self.dialect == "sqlite" else None
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False,
                                            sync_session_class=_Session)
        self._open = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self, *, settles: bool = True) -> AsyncIterator[AsyncSession]:
        """Commits once at the end; any exception rolls everything back. While an update
        is being handled, a unit of work that wrote marks it done in the same commit
        (storage/inbox.py); bookkeeping that may be repeated says `settles=False`."""
        self._open += 1
        self._idle.clear()
        try:
            async with self._sessions() as session:
                async with session.begin():
                    yield session
                    await session.flush()
                    settled = (await inbox.settle_current(session, utcnow())
                               if settles and session.info.get(WROTE) else None)
                if settled is not None:
                    settled.settled = True
        finally:
            self._open -= 1
            if self._open == 0:
                self._idle.set()

    async def once_more_if_disconnected(
            self, work: Callable[[AsyncSession], Awaitable[T]], *, settles: bool = True) -> T:
        """`work` in a unit of work, and once more on a fresh connection if the connection
        was lost under it (nothing of the lost transaction survived it). Only for work
        that is safe to repeat: confirming a sent reminder, claiming due ones, marks."""
        try:
            async with self.unit_of_work(settles=settles) as session:
                return await work(session)
        except Exception as error:
            if not is_disconnect(error):
                raise
        async with self.unit_of_work(settles=settles) as session:
            return await work(session)

    @staticmethod
    def read_once(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work` in one unit of work on an engine of its own, opened and disposed here:
        for a worker process, which reads what the bot must not hold (an export's rows,
        an import's result) without passing it through the bot."""

        async def once() -> T:
            database = Database(url)
            try:
                async with database.unit_of_work() as session:
                    return await work(session)
            finally:
                await database.dispose()

        # Not `asyncio.run`: in a process's main thread it puts SIGINT's handler back at
        # the end, and Python 3.11 reads the old one (a partial holding the finished task)
        # into an error message by `repr`, the task's result and all: a worker's read of
        # 50,000 customers took 2.1 s that way and 1.47 s this way.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(once())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    def statements(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """One transaction on a connection, without the ORM session: for the inbox's
        storing of every update, where the session's own work was most of the cost (on
        SQLite here, 4.4 ms a stored update through a unit of work, 2.6 ms through this)."""
        return self.engine.begin()

    async def until_idle(self) -> None:
        """Waits until no unit of work of this process is open. Long background writers
        (an import's batches) call it before each transaction: SQLite has one writer at a
        time and its busy handler polls every 50-100 ms once a wait grows, so without this
        a member's update waited behind batch after batch (p99 2.7 s, some 5 s timeouts,
        measured during a 100,000-row import); with it, at most one batch."""
        while self._open:
            await self._idle.wait()

    async def dispose(self) -> None:
        await self.engine.dispose()

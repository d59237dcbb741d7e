"""Databases for the tests: a migrated SQLite file per test, or a fresh PostgreSQL database
per run (SALESBOT_TEST_DATABASE_URL) truncated between tests. Time is frozen at NOW.
With SALESBOT_TEST_DATABASE_KEY set, every SQLite file is encrypted with that key (the
key rides in the URL, storage/encryption.py): `.ci/run` runs the flow suite so once."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.encryption import with_key
from storage.migrate import upgrade
from storage.models import Base
from storage.users import Actor, Profile, Visibility, actor_for, admit
from tests.speech_service import SpeechService

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
PG_URL = os.environ.get("SALESBOT_TEST_DATABASE_URL", "")
SQLITE_KEY = "" if PG_URL else os.environ.get("SALESBOT_TEST_DATABASE_KEY", "")


async def _on_pg_server(base_url: str, *statements: str) -> None:
    """Runs statements outside a transaction (CREATE/DROP DATABASE need that)."""
    import asyncpg

    url = make_url(base_url)
    conn = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port,
        database=url.database,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database made once a run: a SQLite file to copy, or a PostgreSQL URL."""
    if PG_URL:
        name = f"salesbot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        asyncio.run(_on_pg_server(
            PG_URL, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        asyncio.run(upgrade(url))
        yield url
        asyncio.run(_on_pg_server(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(upgrade(with_key(f"sqlite+aiosqlite:///{path}", SQLITE_KEY)))
        yield str(path)


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    if PG_URL:
        asyncio.run(_truncate(migrated_template))
        return migrated_template
    target = tmp_path / "salesbot.db"
    shutil.copy(migrated_template, target)
    return with_key(f"sqlite+aiosqlite:///{target}", SQLITE_KEY)


async def _truncate(url: str) -> None:
    """Empties every table, after ending any session an earlier test left on the database:
    a bot left running would otherwise keep the instance lock and claim the next tests'
    reminders (the likeliest reading of a CI run whose PostgreSQL pass failed eleven
    e2e and reminder tests in a row). Ended, it stops: it lost its lock."""
    db = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with db.unit_of_work() as session:
        left = (await session.execute(text(
            "SELECT pg_terminate_backend(pid), application_name, state FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"))).all()
        await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()
    if left:
        warnings.warn(f"ended {len(left)} session(s) an earlier test left on the database: "
                      f"{[tuple(row)[1:] for row in left]}", stacklevel=1)


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Tests that run the CLI in this process (`bot.cli.main`) configure logging as the bot
    does: a handler on the test's captured stderr whose filter turns a transient error's
    record into a WARNING. Left on the root logger, it ran in whichever test came next in
    that worker (a closed stream; an ERROR that the next test's caplog saw as a WARNING)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def frozen_time() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
async def db(database_url: str, frozen_time: time_machine.Coordinates) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def make_member(
    db: Database, telegram_id: int, name: str = "Member", *, role: str = "rep",
    policy: Visibility = Visibility.TEAM, language: str = "en",
) -> Actor:
    """A team member as the services see them."""
    async with db.unit_of_work() as session:
        user = await admit(
            session,
            Profile(telegram_id, name, language_code=language),
            admin_ids=frozenset({telegram_id}),
            timezone="Asia/Shanghai",
        )
        assert user is not None
        user.role = role
        await session.flush()
        return actor_for(user, policy)


@pytest.fixture
async def speech_service() -> AsyncIterator[SpeechService]:
    """A speech-to-text endpoint on loopback (tests/speech_service.py)."""
    service = await SpeechService().start()
    yield service
    await service.stop()

"""Schema migrations through Alembic, callable from the CLI, the bot and the tests."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from storage.database import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationFailed(Exception):
    """The upgrade stopped; what it said is in the log above."""


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Brings the database at `url` to `revision` (default: the newest)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, url, revision)
    finally:
        await engine.dispose()


def upgrade_apart(url: str) -> None:
    """`upgrade` in a forked child, for a process that goes on to run the bot: Alembic and
    Mako (11 MB) are then never loaded into it. Forked, not spawned: nothing runs yet that
    a fork could cut in half, and the child needs no second start-up (a spawned one added
    about a second to every start). With other threads running (a caller inside a test's
    event loop), a fork could copy a lock another thread holds: then it upgrades here."""
    if threading.active_count() > 1:
        asyncio.run(upgrade(url))
        return
    child = multiprocessing.get_context("fork").Process(
        target=_upgrade_now, args=(url,), name="salesbot-migrate")
    child.start()
    child.join()
    if child.exitcode != 0:
        raise MigrationFailed(f"the database upgrade stopped (exit code {child.exitcode})")


def _upgrade_now(url: str) -> None:
    asyncio.run(upgrade(url))


def _upgrade(connection: Connection, url: str, revision: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)

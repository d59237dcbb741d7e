"""Backups: consistent copies, rotation, encryption, and a restore that checks first."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from bot.process.cli import main as salesbot
from storage import backup
from storage.clock import utcnow
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.encryption import new_key
from storage.interactions import log_interaction
from storage.models import InteractionKind
from storage.reminders import schedule_followup
from tests.conftest import PG_URL, make_member
from tests.harness import every_table

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL is backed up with pg_dump")


async def fill(db: Database, name: str) -> None:
    rep = await make_member(db, 555, "Rep")
    async with db.unit_of_work() as session:
        customer = await create_customer(session, CustomerDraft(name=name, phones=["13812345678"]),
                                         rep, default_region="CN")
        await log_interaction(session, rep, customer.id, kind=InteractionKind.CALL,
                              summary="打电话，要报价")
        await schedule_followup(session, rep, customer.id, utcnow() + timedelta(days=1), "报价")


async def test_restore_gives_back_an_identical_database(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    await fill(db, "王小明")
    key = new_key()
    saved = every_table(database_url)
    assert saved["customers"] and saved["interactions"] and saved["reminders"]
    made = await backup.back_up(database_url, tmp_path, keep=3, key=key)
    assert made.name.endswith(".db.enc")
    assert not made.read_bytes().startswith(backup.SQLITE_MAGIC)  # encrypted
    await fill(db, "李雷")  # life goes on after the backup
    assert every_table(database_url) != saved
    await db.dispose()
    backup.restore_backup(database_url, made, key)
    assert every_table(database_url) == saved


async def test_a_bad_backup_is_refused_and_leaves_the_data_untouched(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    await fill(db, "王小明")
    key = new_key()
    made = await backup.back_up(database_url, tmp_path, keep=3, key=key)
    await fill(db, "李雷")
    await db.dispose()
    current = every_table(database_url)
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(backup.SQLITE_MAGIC + b"\0" * 5000)
    stranger = tmp_path / "stranger.db"
    with closing(sqlite3.connect(stranger)) as other:
        other.execute("CREATE TABLE t (x)")
        other.commit()
    cases = [
        (made, new_key(), "wrong key"),
        (made, "", "encrypted"),
        (corrupt, "", "damaged"),
        (stranger, "", "not a salesbot backup"),
        (tmp_path / "missing.db", "", "cannot read"),
    ]
    for file, with_key, reason in cases:
        with pytest.raises(backup.BackupError, match=reason):
            backup.restore_backup(database_url, file, with_key)
        assert every_table(database_url) == current


async def test_rotation_keeps_the_newest(db: Database, database_url: str, tmp_path: Path
                                         ) -> None:
    await fill(db, "王小明")
    now = utcnow()
    names = []
    for hour in range(5):
        made = backup.make_backup(database_url, tmp_path, keep=3, key="",
                                  now=now + timedelta(hours=hour))
        names.append(made.name)
    assert [p.name for p in backup.backups_in(tmp_path)] == names[2:]


async def test_command_line_backup_and_restore(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await fill(db, "王小明")
    await db.dispose()
    config = tmp_path / "config.toml"
    key = new_key()
    config.write_text(f'[database]\nurl = "{database_url}"\n[backup]\nfolder = '
                      f'"{tmp_path / "backups"}"\nkeep = 2\nkey = "{key}"\n', encoding="utf-8")
    saved = every_table(database_url)
    assert await asyncio.to_thread(salesbot, ["--config", str(config), "backup"]) == 0
    [made] = backup.backups_in(tmp_path / "backups")
    assert f"backup written: {made}" in capsys.readouterr().out
    monkeypatch.setenv("SALESBOT_BACKUP_KEY", new_key())  # the wrong one
    assert await asyncio.to_thread(salesbot, ["--config", str(config), "restore", str(made)]) == 1
    assert "restore refused: " + made.name + ": wrong key" in capsys.readouterr().err
    monkeypatch.delenv("SALESBOT_BACKUP_KEY")
    assert await asyncio.to_thread(salesbot, ["--config", str(config), "restore", str(made)]) == 0
    assert every_table(database_url) == saved

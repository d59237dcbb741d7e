"""The SQLite database encrypted at rest: encrypt in place, re-key, refuse a wrong or a
missing key with one line, survive a kill half-way, back up encrypted; and PostgreSQL
refused without TLS to another host."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from bot.process.cli import main as salesbot
from bot.runtime.config import ConfigError, load_settings
from storage import backup
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.encryption import SQLITE_MAGIC, key_of, new_key, with_key
from storage.migrate import upgrade
from storage.search.lookup import search_customers
from tests.conftest import PG_URL, SQLITE_KEY, make_member
from tests.harness import every_table

pytestmark = pytest.mark.skipif(bool(PG_URL or SQLITE_KEY),
                                reason="the SQLite file is encrypted here from plain")


def plain_database(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "salesbot.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_fill(url))
    return url, path


async def _fill(url: str) -> None:
    await upgrade(url)
    db = Database(url)
    try:
        rep = await make_member(db, 555, "Rep")
        async with db.unit_of_work() as session:
            await create_customer(session, CustomerDraft(
                name="王小明", company="Acme Trading", phones=["13812345678"]), rep,
                default_region="CN")
    finally:
        await db.dispose()


async def names_found(url: str, query: str) -> list[str]:
    db = Database(url)
    try:
        rep = await make_member(db, 556, "Other")
        async with db.unit_of_work() as session:
            return [h.name for h in await search_customers(session, query, rep)]
    finally:
        await db.dispose()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(tmp_path: Path, *args: str, key: str = "", stdin: str = "",
        extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SALESBOT_DATABASE_URL":
           f"sqlite+aiosqlite:///{tmp_path / 'salesbot.db'}", **(extra or {})}
    if key:
        env["SALESBOT_DATABASE_KEY"] = key
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_encrypted_in_place_then_found_and_unreadable_without_the_key(
        tmp_path: Path) -> None:
    url, path = plain_database(tmp_path)
    assert "王小明".encode() in path.read_bytes()
    key = new_key()
    done = run(tmp_path, "db", "encrypt", key=key)
    assert done.returncode == 0, done.stderr
    assert "is encrypted with database.key" in done.stdout
    content = path.read_bytes()
    assert not content.startswith(SQLITE_MAGIC)
    for secret in ("王小明".encode(), b"13812345678", b"acme", b"wangxiaoming"):
        assert secret not in content  # the search index too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salesbot.db", "salesbot.db.lock"]
    assert asyncio.run(names_found(with_key(url, key), "wxm")) == ["王小明"]


def test_missing_or_wrong_key_stops_with_one_line_and_changes_nothing(
        tmp_path: Path) -> None:
    plain_database(tmp_path)
    key = new_key()
    assert run(tmp_path, "db", "encrypt", key=key).returncode == 0
    path = tmp_path / "salesbot.db"
    before = digest(path)
    for given, line in [
        ("", f"{path} is encrypted: set database.key (or SALESBOT_DATABASE_KEY) to its key"),
        (new_key(), f"database.key does not open {path}: wrong key, or the file is damaged"),
    ]:
        started = run(tmp_path, "run", key=given)
        assert started.returncode == 2
        assert started.stderr.strip().splitlines() == [line]
        assert started.stdout == ""
        assert digest(path) == before
    plain = tmp_path / "plain"
    plain.mkdir()
    plain_database(plain)
    refused = run(plain, "run", key=key)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"{plain / 'salesbot.db'} is not encrypted but database.key is set: run "
        "`salesbot db encrypt` to encrypt it with that key, or unset the key"]
    assert run(tmp_path, "db", "upgrade", key="not a key").stderr.strip() == (
        "config error: database.key: Value error, not a database key (not base64); "
        "`salesbot db new-key`")


def test_a_kill_before_the_swap_leaves_the_plain_file_intact(tmp_path: Path) -> None:
    url, path = plain_database(tmp_path)
    saved, before = every_table(url), digest(path)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from storage.encryption import encrypt_in_place, with_key\n"
        "encrypt_in_place(with_key(sys.argv[1], sys.argv[2]), sys.argv[2],\n"
        "                 before_swap=lambda _: os.kill(os.getpid(), signal.SIGKILL))\n"),
        url, new_key()], capture_output=True, timeout=60)
    assert killed.returncode == -9
    assert (tmp_path / "salesbot.db.encrypting").exists()  # the copy it had made
    assert digest(path) == before and every_table(url) == saved
    key = new_key()
    assert run(tmp_path, "db", "encrypt", key=key).returncode == 0  # the leftover is redone
    assert not (tmp_path / "salesbot.db.encrypting").exists()
    assert every_table(with_key(url, key)) == saved


def test_rekey_then_only_the_new_key_opens_it(tmp_path: Path) -> None:
    url, _ = plain_database(tmp_path)
    saved = every_table(url)
    old, new = new_key(), new_key()
    assert run(tmp_path, "db", "encrypt", key=old).returncode == 0
    assert run(tmp_path, "db", "rekey", key=old, stdin="not a key\n").returncode == 1
    assert every_table(with_key(url, old)) == saved
    done = run(tmp_path, "db", "rekey", key=old, extra={"SALESBOT_NEW_DATABASE_KEY": new})
    assert done.returncode == 0, done.stderr
    assert run(tmp_path, "db", "upgrade", key=old).returncode == 2
    assert run(tmp_path, "db", "upgrade", key=new).returncode == 0
    assert every_table(with_key(url, new)) == saved


async def test_encrypting_while_the_bot_runs_is_refused(tmp_path: Path) -> None:
    url, path = await asyncio.to_thread(plain_database, tmp_path)
    from storage.instance import InstanceLock

    lock = InstanceLock(Database(url))
    await lock.acquire()
    try:
        refused = await asyncio.to_thread(run, tmp_path, "db", "encrypt", key=new_key())
    finally:
        await lock.release()
    assert refused.returncode == 1
    assert "is already running" in refused.stderr
    assert (await asyncio.to_thread(path.read_bytes)).startswith(SQLITE_MAGIC)


def test_backups_of_an_encrypted_database_stay_encrypted_and_restore(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url, path = plain_database(tmp_path)
    plain_backup = backup.make_backup(url, tmp_path / "old", keep=2, key="",
                                      now=backup.utcnow())
    key = new_key()
    assert run(tmp_path, "db", "encrypt", key=key).returncode == 0
    keyed = with_key(url, key)
    saved = every_table(keyed)
    made = backup.make_backup(keyed, tmp_path / "backups", keep=2, key="",
                              now=backup.utcnow())
    content = made.read_bytes()
    assert not content.startswith(SQLITE_MAGIC) and "王小明".encode() not in content
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\nkey = "{key}"\n', encoding="utf-8")
    path.unlink()
    assert salesbot(["--config", str(config), "restore", str(made)]) == 0
    assert every_table(keyed) == saved
    # A backup from before the encryption comes back encrypted with today's key.
    assert salesbot(["--config", str(config), "restore", str(plain_backup)]) == 0
    assert not path.read_bytes().startswith(SQLITE_MAGIC)
    assert every_table(keyed)["customers"] == saved["customers"]
    other = tmp_path / "other.toml"
    other.write_text(f'[database]\nurl = "{url}"\nkey = "{new_key()}"\n', encoding="utf-8")
    capsys.readouterr()
    assert salesbot(["--config", str(other), "restore", str(made)]) == 2
    assert "database.key does not open" in capsys.readouterr().err


def test_the_key_rides_in_the_url_and_is_never_shown() -> None:
    key = new_key()
    settings = load_settings(None, env={"SALESBOT_DATABASE_URL": "sqlite+aiosqlite:///d/s.db",
                                        "SALESBOT_DATABASE_KEY": key})
    assert key_of(settings.database.url) == key
    assert key not in settings.database.shown_url and "***" in settings.database.shown_url


@pytest.mark.parametrize(("url", "allowed"), [
    ("postgresql+asyncpg://bot@db.example.net/crm", False),
    ("postgresql+asyncpg://bot@db.example.net/crm?ssl=prefer", False),
    ("postgresql+asyncpg://bot@db.example.net/crm?ssl=require", True),
    ("postgresql+asyncpg://bot@db.example.net/crm?ssl=verify-full", True),
    ("postgresql+asyncpg://bot@127.0.0.1:5432/crm", True),
    ("postgresql+asyncpg://bot@localhost/crm", True),
    ("postgresql+asyncpg://bot@/crm?host=/run/postgresql", True),
])
def test_postgresql_to_another_host_needs_tls(url: str, allowed: bool) -> None:
    env = {"SALESBOT_DATABASE_URL": url}
    if allowed:
        load_settings(None, env=env)
        return
    with pytest.raises(ConfigError, match="does not require TLS: add"):
        load_settings(None, env=env)
    trusted = {"database": {"url": url, "allow_plain_network": True}}
    from bot.runtime.config import Settings

    assert Settings.model_validate(trusted).database.url == url

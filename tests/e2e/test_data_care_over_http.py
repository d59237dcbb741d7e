"""Issue "clean, current and safe data" end to end: `salesbot run` in a child process over
real HTTP. Nudges for a quiet and an unverified record, a merge and its undo, the own
policy, and a backup that restores to an identical database."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.process.transports.fakeapi import BotMessage, FakeBotApi
from storage.database import Database
from storage.models import Customer
from tests.conftest import PG_URL
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.harness import every_table, poll_until

REP = 5151
# Fast sweeps and scans, no digest (nudges then come one by one), a rep sees only theirs.
SETTINGS = ('[reminders]\nsweep_seconds = 0.5\nscan_minutes = 0.01\ndigest_hour = -1\n'
            '[backup]\nhour = -1\nfolder = "backups"\n')


def noon_zone() -> str:
    """A fixed-offset zone where it is now about noon: nudges go out in the daytime."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class Person:
    """One user of the HTTP fake: send, press, wait for the bot's answer."""

    def __init__(self, api: FakeBotApi, telegram_id: int, name: str) -> None:
        self.api, self.id = api, telegram_id
        self.person = api.user(telegram_id, name)

    def messages(self) -> list[BotMessage]:
        return self.api.chat(self.id)

    async def says(self, text: str, expect: str) -> BotMessage:
        before = len(self.messages())
        self.api.user_sends(self.person, text)
        return await self.sees(expect, after=before)

    async def presses(self, message: BotMessage, data: str, expect: str) -> BotMessage:
        before = len(self.messages())
        self.api.user_presses(self.person, message, data, check=False)
        return await poll_until(lambda: next(
            (m for m in [message, *self.messages()[before:]] if expect in m.text), None))

    async def sees(self, expect: str, *, after: int = 0, timeout: float = 20) -> BotMessage:
        return await poll_until(lambda: next(
            (m for m in self.messages()[after:] if expect in m.text), None), timeout=timeout)


async def age(database_url: str, who: str, **values: object) -> None:
    """Sets columns of the customer named `who`, as if time had passed."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            await session.execute(update(Customer).where(Customer.name == who).values(**values))
    finally:
        await database.dispose()


async def salesbot(config: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args, cwd=config.parent,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode(errors="replace")


async def test_nudges_merge_undo_policy_and_backup_over_http(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    config = write_config(tmp_path, http.url, database_url, SETTINGS)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[team]\n", '[team]\nvisibility = "own"\n'), encoding="utf-8")
    bot = BotProcess(config)
    await bot.start(api)
    try:
        alice, bob = Person(api, ADMIN, "Alice"), Person(api, REP, "Bob")
        await alice.says(f"/tz {noon_zone()}", "Time zone set")
        for line in ("李雷 13900001111 Acme", "韩梅梅 13900002222 hmm@example.com"):
            card = await alice.says(f"/add {line}", "is this right?")
            await alice.presses(card, "add:save", "Saved as")
        now = datetime.now(UTC)
        await age(database_url, "李雷", tier="important",
                  last_contact_at=now - timedelta(days=31), quiet_since=now - timedelta(days=31))
        await age(database_url, "韩梅梅", last_verified_at=now - timedelta(days=181),
                  unverified_since=now - timedelta(days=181))

        quiet = await alice.sees("Gone quiet · 李雷")
        assert "Mark reviewed" in str(quiet.buttons)
        check = await alice.sees("Are these still right? · 韩梅梅")
        assert "+86 139 0000 2222" in check.text and "hmm@example.com" in check.text
        await alice.presses(check, check.button_data("All correct"), "details are confirmed")

        # Two records of one person: merged, then taken back.
        card = await alice.says("/add 王小明 13812345678", "is this right?")
        await alice.presses(card, "add:save", "Saved as C-000003")
        card = await alice.says("/add 王晓明 13812345678 ACME", "is this right?")
        warning = await alice.presses(card, "add:save", "already be in the CRM")
        await alice.presses(warning, "add:anyway", "Saved as C-000004")
        group = await alice.says("/dupes", "Possible duplicates")
        merged = await alice.presses(group, group.button_data("Keep C-000003"),
                                     "Merged C-000004 into C-000003")
        await alice.presses(merged, merged.button_data("Undo merge"), "separate again")

        # The own policy: Bob, a rep, cannot open Alice's customer, even by a forged button.
        invite = await alice.says("/invite rep", "One-time invite")
        token = invite.text.split("?start=")[1].split()[0]
        await bob.says(f"/start {token}", "Welcome")
        await bob.says("C-000003", "Nothing found")
        anchor = await bob.says("/help", "What I can do")
        await bob.presses(anchor, "c:3:archive", "No customer C-000003 that you can see")

        if not PG_URL:
            backup = await alice.says("/backup", "Not encrypted")
            assert backup.document is not None
            content = api.files[backup.document["file_id"]][1]
            copy = tmp_path / "from-chat.db"
            copy.write_bytes(content)
            with closing(sqlite3.connect(copy)) as db:
                names = {r[0] for r in db.execute("SELECT name FROM customers")}
            assert {"李雷", "韩梅梅", "王小明", "王晓明"} <= names
        assert len([m for m in alice.messages() if "Gone quiet · 李雷" in m.text]) == 1
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]

    if PG_URL:
        return
    # With the bot stopped: back up, change, restore, and compare every table.
    code, out = await salesbot(config, "backup")
    assert code == 0, out
    saved = every_table(database_url)
    await age(database_url, "李雷", name="李雷雷")
    assert every_table(database_url) != saved
    made = sorted((tmp_path / "backups").glob("salesbot-*.db"))[-1]
    code, out = await salesbot(config, "restore", str(made))
    assert code == 0, out
    assert every_table(database_url) == saved

"""/backup: an admin gets the database as a file; nobody else does."""

from __future__ import annotations

from storage.backup import SQLITE_MAGIC
from tests.conftest import PG_URL, SQLITE_KEY
from tests.flow.conftest import Bot, join


async def test_admin_gets_a_backup_file_and_a_rep_is_refused(bot: Bot) -> None:
    admin = bot.chat(100, "Alice")
    await admin.press(await admin.say("/add 王小明 13812345678"), "Save")
    rep = await join(bot, 201, "Rep")
    assert "Only an admin can do that." in (await rep.say("/backup")).text
    answer = await admin.say("/backup")
    if PG_URL:
        assert "pg_dump" in answer.text
        return
    assert answer.document is not None and answer.document["file_name"].startswith("salesbot-")
    content = bot.api.files[answer.document["file_id"]][1]
    if SQLITE_KEY:  # the encrypted-database run: the backup is as encrypted as the database
        assert not content.startswith(SQLITE_MAGIC)
        assert "王小明".encode() not in content and b"13812345678" not in content
        assert "Encrypted with the database key" in answer.text
    else:
        assert content.startswith(SQLITE_MAGIC)
        assert "Not encrypted" in answer.text
    assert [m for m in rep.inbox() if m.document] == []

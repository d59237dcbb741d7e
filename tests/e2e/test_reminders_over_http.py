"""Follow-ups over real HTTP: one set a minute ahead arrives; a SIGKILL loses none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.process.transports.fakeapi import FakeBotApi
from storage.database import Database
from storage.migrate import upgrade
from storage.models import Customer, Reminder, User
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.harness import poll_until, poll_until_async

# No digests: at 08:00 in Shanghai one would join the messages these tests count.
FAST_SWEEPS = "[reminders]\nsweep_seconds = 0.5\nlease_seconds = 3\ndigest_hour = -1\n"
DEFAULT_LEASE = "[reminders]\nsweep_seconds = 0.5\ndigest_hour = -1\n"


async def test_logged_call_with_follow_up_a_minute_ahead_arrives_snoozes_and_is_done(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    bot = BotProcess(write_config(tmp_path, http.url, database_url, FAST_SWEEPS))
    await bot.start(api)
    try:
        alice = api.user(ADMIN, "Alice")
        api.user_sends(alice, "/add 王小明 138 1234 5678")
        card = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN) if "is this right?" in m.text), None))
        api.user_presses(alice, card, "add:save")
        await poll_until(lambda: "Saved as" in card.text)

        api.user_sends(alice, "和王小明通话，要报价，1分钟后跟进")
        draft = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN) if m.text.startswith("📞 Call")), None))
        api.user_presses(alice, draft, "log:save")
        await poll_until(lambda: "Follow-up set for" in draft.text)

        # Real time in a real process: within the minute and a sweep, it arrives.
        reminder = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN) if m.text.startswith("⏰ Follow-up · 王小明")
             and m.buttons), None), timeout=90)
        assert "要报价" in reminder.text
        api.user_presses(alice, reminder, reminder.button_data("Snooze 1 h"))
        await poll_until(lambda: "I will remind you again" in reminder.text)

        api.user_sends(alice, "/followups")
        listing = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN) if "This week" in m.text or "Today" in m.text), None))
        api.user_presses(alice, listing, listing.buttons[0][0][1])
        opened = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN)[::-1] if m.buttons and "Done" in m.buttons[0][0][0]
             and m is not reminder), None))
        api.user_presses(alice, opened, opened.button_data("Done"))
        await poll_until(lambda: "What came of it?" in api.chat(ADMIN)[-1].text)
        api.user_sends(alice, "they accepted")
        await poll_until(lambda: "noted on 王小明's timeline" in api.chat(ADMIN)[-1].text)
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]


async def seed_due_reminders(database_url: str, count: int) -> None:
    await upgrade(database_url)
    database = Database(database_url)
    due = datetime.now(UTC) - timedelta(minutes=10)
    async with database.unit_of_work() as session:
        user = User(telegram_id=ADMIN, display_name="Alice", role="admin", language="en")
        session.add(user)
        await session.flush()
        customer = Customer(name="王小明", owner_id=user.id, search_text="")
        session.add(customer)
        await session.flush()
        for i in range(count):
            session.add(Reminder(customer_id=customer.id, user_id=user.id, due_at=due,
                                 send_after=due, text=f"reminder #{i:02d}"))
    await database.dispose()


async def count_sent(database: Database, *, at_least: int) -> bool:
    async with database.unit_of_work() as session:
        sent = list(await session.scalars(select(Reminder.id).where(Reminder.delivery == "sent")))
    return len(sent) >= at_least


async def test_sigkill_mid_delivery_then_restart_delivers_each_reminder_once(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    await seed_due_reminders(database_url, 30)
    api.user(ADMIN, "Alice")  # she has started the bot before, so Telegram knows the chat
    # The 8th reminder's request hangs: the bot is killed while it waits for Telegram.
    api.stall_after("sendMessage", 7)
    # The lease stays at its 300 s: the restarted bot knows it is the only sender and
    # sends what the dead one had claimed at once, not after the lease.
    bot = BotProcess(write_config(tmp_path, http.url, database_url, DEFAULT_LEASE))
    await bot.start(api)
    await poll_until(lambda: api.stalled >= 1)
    # Killed once the seven Telegram accepted are confirmed in the database. Between
    # Telegram's answer and that commit (a few ms) a kill would mean one duplicate: no
    # Bot API call can be made idempotent (docs/decisions.md).
    database = Database(database_url)
    await poll_until_async(lambda: count_sent(database, at_least=7))
    await database.dispose()
    await bot.kill()
    delivered_before = [m.text for m in api.chat(ADMIN)]
    assert len(delivered_before) == 7

    api.stall_after("sendMessage", 1000)
    await bot.start(api)
    try:  # within 60 s of the restart, though each of the 30 was claimed for 300 s
        await poll_until(lambda: len(api.chat(ADMIN)) >= 30, timeout=60)
    finally:
        stderr = await bot.stop()
    texts = [m.text for m in api.chat(ADMIN)]
    for i in range(30):
        assert sum(f"reminder #{i:02d}" in text for text in texts) == 1, i
    assert all("Late:" in text for text in texts)  # due 10 minutes before: said so
    database = Database(database_url)
    async with database.unit_of_work() as session:
        states = list(await session.scalars(select(Reminder.delivery)))
    await database.dispose()
    assert states == ["sent"] * 30
    assert "Traceback" not in stderr, stderr[-3000:]

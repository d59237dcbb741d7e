"""Issue "the manager's view" end to end: `salesbot run` in a child process over real HTTP.
A purchase in one message and one tap, a deal and /pipeline, a region chart and the
monthly purchase line as pictures with Chinese captions, and a customer who stopped
buying in the owner's digest as a churn warning with the reason in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.process.transports.fakeapi import FakeBotApi
from storage.database import Database
from storage.models import CustomerValue, Purchase, Reminder, ReminderKind
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_data_care_over_http import Person
from tests.harness import poll_until_async

# Fast sweeps; the value job looks twice a second and recomputes whenever it looks.
SETTINGS = ('[reminders]\nsweep_seconds = 0.5\nscan_minutes = 60\n'
            '[sales]\nvalue_check_minutes = 0.01\nvalue_every_hours = 0.0001\n'
            '[backup]\nhour = -1\n')


async def as_if_bought_monthly(database_url: str, months_ago: list[int]) -> None:
    """The logged purchase and earlier ones moved back, as if the customer used to buy
    every month and stopped."""
    database = Database(database_url)
    now = datetime.now(UTC)
    try:
        async with database.unit_of_work() as session:
            [first] = (await session.scalars(select(Purchase))).all()
            first.occurred_at = now - timedelta(days=30 * months_ago[0])
            for months in months_ago[1:]:
                session.add(Purchase(customer_id=first.customer_id, user_id=first.user_id,
                                     amount_minor=first.amount_minor, currency="CNY",
                                     occurred_at=now - timedelta(days=30 * months),
                                     created_at=now))
    finally:
        await database.dispose()


async def churn_computed(database_url: str) -> bool:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            value = await session.get(CustomerValue, 1)
            return value is not None and value.churn is not None
    finally:
        await database.dispose()


async def due_now(database_url: str, kind: ReminderKind) -> None:
    """The member's next digest (or weekly summary) made due, as if its hour had come."""
    database = Database(database_url)
    now = datetime.now(UTC)
    try:
        async with database.unit_of_work() as session:
            await session.execute(update(Reminder).where(Reminder.kind == kind)
                                  .values(due_at=now, send_after=now))
    finally:
        await database.dispose()


async def test_purchase_pipeline_charts_and_churn_over_http(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    bot = BotProcess(write_config(tmp_path, http.url, database_url, SETTINGS))
    await bot.start(api)
    try:
        alice = Person(api, ADMIN, "Alice")
        alice.person = api.user(ADMIN, "Alice", "zh-hans")
        card = await alice.says("/add 王小明 13812345678 ACME 上海", "信息正确吗")
        await alice.presses(card, "add:save", "C-000001")

        # One message, one tap.
        card = await alice.says("王小明 买了 20 台 X1，共 4.8 万", "¥48,000")
        assert "X1 × 20" in card.text
        await alice.presses(card, "buy:save", "线索 → 客户")

        card = await alice.says("王小明的 X1 项目 预计 30 万 下月底签", "新商机")
        await alice.presses(card, "newdeal:save", "商机已保存")
        board = await alice.says("/pipeline", "团队销售漏斗")
        assert "线索: 1 · ¥300,000" in board.text

        menu = await alice.says("/stats", "数据概览")
        for data, caption in (("chart:region:365", "客户地区分布"),
                              ("chart:purchases:365", "每月购买额")):
            picture = await alice.presses(menu, data, caption)
            assert picture.photo is not None, caption
            content = api.files[picture.photo["file_id"]][1]
            assert content[:8] == b"\x89PNG\r\n\x1a\n"
            assert (picture.photo["width"], picture.photo["height"]) == (960, 600)

        # The customer bought every month, then stopped 100 days ago.
        await as_if_bought_monthly(database_url, [100 // 30 + 1, 5, 6, 7, 8, 9])
        await poll_until_async(lambda: churn_computed(database_url), timeout=30)
        await due_now(database_url, ReminderKind.DIGEST)
        digest = await alice.sees("流失预警", timeout=30)
        assert "王小明</b>" in digest.html and "已 120 天未购买；通常每 30 天一次" in digest.text
        assert "churn:1:quiet" in str(digest.buttons)

        # The manager's Monday summary, with its two charts after the words.
        before = len(alice.messages())
        await due_now(database_url, ReminderKind.WEEKLY)
        await alice.sees("流失预警：1 位客户", after=before, timeout=30)
        await alice.sees("销售漏斗", after=before, timeout=30)
        pictures = [m.text for m in alice.messages()[before:] if m.photo]
        assert pictures == ["每月购买额", "销售漏斗"]
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]

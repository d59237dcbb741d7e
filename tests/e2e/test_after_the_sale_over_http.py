"""Issue "after the sale" end to end: `salesbot run` in a child process over real HTTP.
A purchase with a three-installment plan in one message and one tap; the first
installment's reminder on its day and one tap records it; a partial payment leaves the
right outstanding; /receivables puts the overdue one in its bucket; a complaint in one
sentence reminds its assignee, is resolved, and its survey link, opened in a headless
browser (Debian's chromium; a plain form post where it is missing), records a 2 that
lands on the timeline and becomes a follow-up for the owner.

The bot runs on the real clock; what would take days is moved in the database, as the
other end-to-end tests do (a row's day set back, a reminder made due now)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Select, select, update
from sqlalchemy.sql.expression import Executable

from bot.process.transports.fakeapi import FakeBotApi
from storage.database import Database
from storage.models import Installment, Interaction, Reminder, ReminderKind, ServiceRequest
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_data_care_over_http import Person
from tests.flow.test_miniapp import CHROMIUM, launched
from tests.harness import free_port, poll_until_async

SETTINGS = '[reminders]\nsweep_seconds = 0.5\nscan_minutes = 60\ndigest_hour = -1\n' \
    '[backup]\nhour = -1\n'
LINK = re.compile(r"https://crm\.example\.com/s/([A-Za-z0-9_\-]+)")


async def change(database_url: str, *statements: Executable) -> None:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            for statement in statements:
                await session.execute(statement)
    finally:
        await database.dispose()


async def rows(database_url: str, query: Select[Any]) -> list[Any]:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return list(await session.scalars(query))
    finally:
        await database.dispose()


async def answer_in_a_browser(url: str) -> None:
    """The customer opens the link, picks 2 stars and 3 of 10, writes a line, sends."""
    if CHROMIUM is None:  # `make test` without chromium: the same form, posted
        async with aiohttp.ClientSession() as http:
            origin = url.split("/s/")[0]
            async with http.post(url, data={"stars": "2", "recommend": "3",
                                            "comment": "漏油修了三次"},
                                 headers={"Origin": origin}) as page:
                assert page.status == 200
        return
    from playwright.async_api import async_playwright, expect
    async with async_playwright() as playwright:
        browser = await launched(playwright)
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            await page.goto(url)
            await page.get_by_text("2★").click()
            await page.get_by_text("3", exact=True).click()
            await page.fill("textarea", "漏油修了三次")
            await page.get_by_role("button").click()
            await expect(page.locator(".thanks")).to_be_visible()
        finally:
            await browser.close()


async def test_collections_a_complaint_and_the_customers_own_answer_over_http(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    port = free_port()
    bot = BotProcess(write_config(
        tmp_path, http.url, database_url,
        SETTINGS + f'[webapp]\nport = {port}\nurl = "https://crm.example.com/app/"\n'))
    await bot.start(api)
    try:
        alice = Person(api, ADMIN, "Alice")
        alice.person = api.user(ADMIN, "Alice", "zh-hans")
        card = await alice.says("/add 王小明 13812345678 ACME 上海", "信息正确吗")
        await alice.presses(card, "add:save", "C-000001")

        # A purchase and its three-installment plan: one message, one tap.
        today = datetime.now(UTC).date()
        dues = [today + timedelta(days=10 + 30 * n) for n in range(3)]
        said = "，".join(f"{d.month}月{d.day}日 10万" for d in dues)
        card = await alice.says(f"王小明 买了 3 台 X1，共 30 万，分三期：{said}", "¥300,000")
        assert "回款计划" in card.text
        await alice.presses(card, "buy:save", "的购买已记入")
        plan = await rows(database_url, select(Installment).order_by(Installment.due_on))
        assert [(i.due_on, i.amount_minor) for i in plan] == [
            (d, 10_000_000) for d in dues]

        # The first installment's day comes: its reminder, and one tap records it.
        first = plan[0]
        await change(database_url,
                     update(Installment).where(Installment.id == first.id)
                     .values(due_on=date.today()),
                     update(Reminder).where(Reminder.kind == ReminderKind.INSTALLMENT,
                                            Reminder.text == "1/3")
                     .values(due_at=datetime.now(UTC), send_after=datetime.now(UTC)))
        reminder = await alice.sees("待回款 · ", timeout=30)
        assert "¥100,000" in reminder.text
        await alice.presses(reminder, f"inst:{first.id}:paid",
                            "已到账 ¥100,000")

        # A partial payment of the second: 4万 of 10万.
        card = await alice.says("王总回款 4 万", "回款")
        assert "本次之后仍欠：¥160,000" in card.text
        await alice.presses(card, "pay:save", "部分回款")

        # The second installment 40 days past its day: in the 31–60 bucket.
        await change(database_url, update(Installment).where(
            Installment.id == plan[1].id).values(
            due_on=date.today() - timedelta(days=40)))
        aging = await alice.says("/receivables", "应收款")
        assert "<b>¥160,000</b>" in aging.html and "31–60 天: ¥60,000" in aging.text
        assert "未到期: ¥100,000" in aging.text

        # A complaint in one sentence, reminding its assignee.
        card = await alice.says("王总投诉 X1 漏油，明天前上门处理", "服务工单")
        assert "投诉" in card.text
        await alice.presses(card, "req:save", "工单已保存")
        await change(database_url, update(Reminder).where(Reminder.kind == ReminderKind.REQUEST)
                     .values(due_at=datetime.now(UTC), send_after=datetime.now(UTC)))
        due = await alice.sees("工单到期", timeout=30)
        [request] = await rows(database_url, select(ServiceRequest))
        asked = await alice.presses(due, f"rq:{request.id}:resolve",
                                    "做了什么处理")
        assert asked is not None
        resolved = await alice.says("更换了油封，已上门试机", "已解决")
        before = len(alice.messages())
        await alice.presses(resolved, f"rq:{request.id}:survey",
                            "满意度调查")
        invitation = await alice.sees("王小明您好", after=before)
        found = LINK.search(invitation.text)
        assert found is not None

        # The customer answers 2 of 5 in a real browser.
        before = len(alice.messages())
        await answer_in_a_browser(f"http://127.0.0.1:{port}/s/{found.group(1)}")
        followup = await alice.sees("漏油修了三次", after=before, timeout=30)
        assert "跟进" in followup.text and "2/5" in followup.text
        timeline = await poll_until_async(lambda: rows(database_url, select(
            Interaction.summary).where(Interaction.kind == "survey")))
        assert timeline == ["★★☆☆☆ 2/5 · NPS 3/10 · “漏油修了三次”"]
    finally:
        stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr[-3000:]

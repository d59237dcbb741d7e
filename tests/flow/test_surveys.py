"""The customer's own answer: a survey link from the chat, its page over real HTTP (and in
a real browser), answered once; a low answer lands on the timeline and becomes a
follow-up for the owner; every wrong link is the same 404."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import time_machine
from sqlalchemy import select

from storage.models import Interaction, Reminder, Survey
from tests.flow.conftest import ADMIN, PUBLIC_URL, Bot, pages_of
from tests.flow.test_miniapp import CHROMIUM, NO_BROWSER, launched
from tests.flow.test_purchases import add

APP_URL = PUBLIC_URL
LINK = re.compile(r"https://crm\.example\.com/s/([A-Za-z0-9_\-]+)")


@pytest.fixture
async def served(make_bot: Any) -> AsyncIterator[tuple[Bot, str]]:
    """The bot with a public address, and its survey pages served on loopback."""
    bot: Bot = await make_bot(webapp={"url": APP_URL})
    async with pages_of(bot) as base:
        yield bot, base


async def resolved_request_link(bot: Bot, who: str = "王小明 138 1234 5678 ACME 上海") -> str:
    """A complaint logged and resolved in the chat, then ⭐ Survey link: the token."""
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, who)
    await chat.press(await chat.say("王小明投诉发货太慢，明天前处理"), "Save")
    asked = await chat.press(chat.inbox()[-1], "Resolved…")
    assert "What was done?" in asked.text
    resolved = await chat.say("补发了物流单号，道歉")
    await chat.press(resolved, "Survey link")
    intro, invitation = chat.inbox()[-2:]
    assert "Survey for 王小明: one answer, open for 30 days" in intro.text
    assert invitation.text.startswith("王小明您好") and "crm.example.com/s/" in invitation.text
    found = LINK.search(invitation.text)
    assert found is not None
    return found.group(1)


async def stored(bot: Bot) -> tuple[list[Survey], list[Interaction], list[Reminder]]:
    async with bot.database.unit_of_work() as session:
        return (list(await session.scalars(select(Survey))),
                list(await session.scalars(select(Interaction).where(
                    Interaction.kind == "survey"))),
                list(await session.scalars(select(Reminder).where(
                    Reminder.kind == "followup"))))


async def test_a_low_answer_lands_once_and_becomes_a_follow_up(served: Any) -> None:
    bot, base = served
    token = await resolved_request_link(bot)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/s/{token}") as page:
            html = await page.text()
            assert page.status == 200 and "您对我们的服务满意吗" in html
            assert len(html.encode()) < 30_000 and "王小明" not in html  # names nobody
            assert "form-action 'self'" in page.headers["Content-Security-Policy"]
            assert "<script" not in html
        form = {"stars": "2", "recommend": "3", "comment": "<b>太慢</b> & 没人回电话"}
        async with http.post(f"{base}/s/{token}", data=form,
                             headers={"Origin": base}) as answered:
            assert answered.status == 200 and "感谢" in await answered.text()
        gone = []
        for attempt in (http.get(f"{base}/s/{token}"),  # used
                        http.post(f"{base}/s/{token}", data=form, headers={"Origin": base}),
                        http.get(f"{base}/s/{token[:-2]}xx"),  # forged
                        http.get(f"{base}/s/never-made-{'a' * 20}")):  # guessed
            async with attempt as page:
                gone.append((page.status, await page.text()))
    assert {status for status, _ in gone} == {404}
    assert len({text for _, text in gone[2:]}) == 1  # the same page: no hint of existence
    surveys, timeline, followups = await stored(bot)
    assert [(s.stars, s.recommend, s.comment) for s in surveys] == [
        (2, 3, "<b>太慢</b> & 没人回电话")]
    assert [e.summary for e in timeline] == ["★★☆☆☆ 2/5 · NPS 3/10 · “<b>太慢</b> & 没人回电话”"]
    [followup] = [r for r in followups if r.text.startswith("⭐")]
    assert followup.user_id == surveys[0].created_by_id and followup.customer_id == 1
    assert await bot.sweep() >= 1
    arrived = bot.chat(ADMIN, "Alice").inbox()[-1]
    assert "Follow-up · 王小明" in arrived.text and "&lt;b&gt;" not in arrived.text
    assert "<b>太慢</b>" in arrived.text  # shown as the customer typed it, never as markup
    stats = await bot.chat(ADMIN, "Alice").say("/stats")
    assert "Customers said (surveys): 1 answers, 2.0/5 · NPS -100" in stats.text


async def test_bad_answers_get_the_form_back_and_nothing_is_stored(
    served: Any, frozen_time: time_machine.Coordinates
) -> None:
    bot, base = served
    token = await resolved_request_link(bot)
    async with aiohttp.ClientSession() as http:
        for form, said in (({"recommend": "5"}, "请选择 1 到 5 星"),
                           ({"stars": "6"}, "请选择 1 到 5 星"),
                           ({"stars": "4", "recommend": "11"}, "请选择 0 到 10"),
                           ({"stars": "4", "comment": "长" * 10_000}, "评论太长")):
            async with http.post(f"{base}/s/{token}", data=form,
                                 headers={"Origin": base}) as page:
                html = await page.text()
                assert page.status == 400 and said in html, form
                assert 'name="stars"' in html  # the form again
        surveys, timeline, _ = await stored(bot)
        assert surveys[0].answered_at is None and timeline == []
        frozen_time.shift(timedelta(days=31))  # expired
        async with http.get(f"{base}/s/{token}") as page:
            assert page.status == 404


async def test_without_a_public_address_the_member_is_told_what_to_set(
    make_bot: Any
) -> None:
    bot: Bot = await make_bot()
    chat = bot.chat(ADMIN, "Alice")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    answer = await chat.say("/survey John Smith")
    assert "webapp.url" in answer.text and "https://" not in answer.text
    surveys, _, _ = await stored(bot)
    assert surveys == []


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
async def test_the_survey_in_a_real_browser_records_a_two(served: Any) -> None:
    from playwright.async_api import async_playwright, expect
    bot, base = served
    token = await resolved_request_link(bot)
    async with async_playwright() as playwright:
        browser = await launched(playwright)
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            await page.goto(f"{base}/s/{token}")
            await page.get_by_text("2★").click()
            await page.get_by_text("6", exact=True).click()
            await page.fill("textarea", "还是太慢")
            await page.get_by_role("button").click()
            await expect(page.locator(".thanks")).to_be_visible()
            width = await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth")
            assert width <= 0 and problems == []
        finally:
            await browser.close()
    surveys, timeline, followups = await stored(bot)
    assert (surveys[0].stars, surveys[0].recommend) == (2, 6)
    assert timeline[0].summary.startswith("★★☆☆☆ 2/5")
    assert any(r.text.startswith("⭐") for r in followups)

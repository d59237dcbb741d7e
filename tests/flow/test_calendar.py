"""Follow-ups in the phone's calendar: /calendar makes a secret address once; its feed over
real HTTP is valid iCalendar with the member's time zone, stable UIDs and links back to
the card; a new address or a revoke stops the old one at once; guesses are 404."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from icalendar import Calendar

from tests.flow.conftest import ADMIN, PUBLIC_URL, Bot, pages_of
from tests.flow.test_purchases import add

APP_URL = PUBLIC_URL
LINK = re.compile(r"https://crm\.example\.com(/cal/[A-Za-z0-9_\-]+\.ics)")


@pytest.fixture
async def served(make_bot: Any) -> AsyncIterator[tuple[Bot, str]]:
    bot: Bot = await make_bot(webapp={"url": APP_URL})
    async with pages_of(bot, bot_username="acme_crm_bot") as base:
        yield bot, base


async def fetch(base: str, path: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http, http.get(base + path) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), await answer.read()


async def test_no_public_address_says_what_to_set(bot: Bot) -> None:
    said = await bot.chat(ADMIN, "Alice").say("/calendar")
    assert "webapp.url" in said.text and "/cal/" not in said.text


async def test_the_feed_holds_follow_ups_and_collections_and_the_address_can_be_changed(
    served: Any
) -> None:
    bot, base = served
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    await add(chat, "王小明 138 1234 5678 ACME 上海", "保存")
    await chat.press(await chat.say("和王小明通话，要报价，下周五下午3点跟进"), "保存")
    await chat.press(await chat.say("王小明 买了 3 台 X1，共 30 万，分三期：12月15日 10万，"
                                    "1月15日 10万，2月15日 10万"), "保存")

    made = await chat.say("/calendar")
    found = LINK.search(made.text)
    assert found is not None and "一天只刷新几次" in made.text
    status, kind, body = await fetch(base, found.group(1))
    assert status == 200 and kind == "text/calendar; charset=utf-8"
    feed = Calendar.from_ical(body)
    assert feed["REFRESH-INTERVAL"].to_ical() == b"PT1H" and "X-PUBLISHED-TTL" in feed
    assert [tz["TZID"] for tz in feed.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = feed.walk("VEVENT")
    follow_up = next(e for e in events if "跟进" in str(e["SUMMARY"]))
    assert follow_up.decoded("DTSTART") == datetime(2026, 11, 27, 15, 0,
                                                    tzinfo=ZoneInfo("Asia/Shanghai"))
    assert follow_up["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(follow_up["URL"]) == "https://t.me/acme_crm_bot?start=c1"
    collections = [e for e in events if "收款" in str(e["SUMMARY"])]
    assert [e.decoded("DTSTART") for e in collections] == [
        date(2026, 12, 15), date(2027, 1, 15), date(2027, 2, 15)]
    assert "¥100,000" in str(collections[0]["SUMMARY"])
    uids = sorted(str(e["UID"]) for e in events)
    assert len(set(uids)) == 4 and all(u.endswith("@crm.example.com") for u in uids)
    # fetched again: the same events keep the same UIDs (an app updates, not duplicates)
    again = Calendar.from_ical((await fetch(base, found.group(1)))[2])
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == uids

    # fetched again by an app that kept the ETag: 304; a new follow-up: the new text
    async with aiohttp.ClientSession() as web:
        async with web.get(base + found.group(1)) as first_answer:
            etag = first_answer.headers["ETag"]
        async with web.get(base + found.group(1), headers={"If-None-Match": etag}) as same:
            assert same.status == 304
        await chat.press(await chat.say("/remind 王小明 下周一上午10点 送样品"), "保存")
        async with web.get(base + found.group(1), headers={"If-None-Match": etag}) as moved:
            assert moved.status == 200 and moved.headers["ETag"] != etag
            events = Calendar.from_ical(await moved.read()).walk("VEVENT")
            assert any("送样品" in str(event["SUMMARY"]) for event in events)

    # the link back opens the card in the chat
    card = await chat.say("/start c1")
    assert "王小明" in card.text and "C-000001" in card.text

    # shown once: asked again, it offers a new one; the new one stops the old one at once
    asked = await chat.say("/calendar")
    assert "/cal/" not in asked.text
    renewed = await chat.press(asked, "🔁 新地址")
    fresh = LINK.search(renewed.text)
    assert fresh is not None and fresh.group(1) != found.group(1)
    assert (await fetch(base, found.group(1)))[0] == 404
    assert (await fetch(base, fresh.group(1)))[0] == 200
    await chat.press(renewed, "🚫 停用")
    assert (await fetch(base, fresh.group(1)))[0] == 404


async def test_guessed_and_malformed_addresses_are_the_same_404(served: Any) -> None:
    bot, base = served
    token = LINK.search((await bot.chat(ADMIN, "Alice").say("/calendar")).text)
    assert token is not None
    path = token.group(1)
    wrong = [path[:-4], path[:-8] + "AAAA.ics", "/cal/" + "A" * 32 + ".ics", "/cal/.ics",
             "/cal/" + "x" * 500 + ".ics"]
    answers = {await fetch(base, w) for w in wrong}
    assert answers == {(404, "text/plain; charset=utf-8", b"Not found")}


async def test_times_hold_across_a_daylight_saving_change_in_the_members_zone(
    served: Any
) -> None:
    """New York moves its clocks on 14 March 2027: a follow-up at 10:00 the day before and
    the day after stays at 10:00 there, five and then four hours behind UTC, and the
    VTIMEZONE carries both rules."""
    bot, base = served
    chat = bot.chat(ADMIN, "Alice")
    await chat.say("/tz America/New_York")
    await add(chat, "John Smith +1 650 253 0000 Acme")
    for day in ("2027-03-13", "2027-03-15"):
        await chat.press(await chat.say(f"/remind John Smith {day} 10:00 call back"), "Save")
    found = LINK.search((await chat.say("/calendar")).text)
    assert found is not None
    feed = Calendar.from_ical((await fetch(base, found.group(1)))[2])
    [zone] = feed.walk("VTIMEZONE")
    assert zone["TZID"] == "America/New_York"
    assert {part.name for part in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    starts = sorted(e.decoded("DTSTART") for e in feed.walk("VEVENT"))
    assert [(s.hour, s.minute) for s in starts] == [(10, 0), (10, 0)]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=-5), timedelta(hours=-4)]
    assert [e["DTSTART"].params["TZID"] for e in feed.walk("VEVENT")] == ["America/New_York"] * 2

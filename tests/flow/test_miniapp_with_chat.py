"""The Mini App beside the chat, on one database: the buttons that open it, and a deal
won on the board that the chat's timeline then shows."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import time_machine

from storage.models import ImportJob
from tests.flow.conftest import ADMIN, Bot, join
from tests.flow.test_imports import press, upload
from tests.flow.test_miniapp import (
    CHROMIUM,
    NO_BROWSER,
    SCREENSHOTS,
    Client,
    launched,
    no_overflow,
    opened,
)
from tests.harness import free_port
from tests.sheets import customer_sheet
from webapp.auth import sign
from webapp.server import MiniApp

APP_URL = "https://crm.example.com/app/"
RITA = 2001


def signed_as(bot: Bot, telegram_id: int, name: str) -> str:
    return sign({"auth_date": str(int(time.time())),
                 "user": json.dumps({"id": telegram_id, "first_name": name})},
                bot.settings.telegram.token)


async def test_the_menu_button_and_the_cards_button_open_the_app(make_bot: Any) -> None:
    bot: Bot = await make_bot(webapp={"url": APP_URL})
    assert bot.api.menu_buttons[0] == {"type": "web_app", "text": "CRM",
                                       "web_app": {"url": APP_URL}}
    chat = bot.chat(ADMIN, "Alice")
    card = await chat.press(await chat.say("/add 王小明 13812345678 ACME"), "Save")
    assert ("🗂 Open in the app", f"web_app:{APP_URL}?customer=1") in card.buttons[-1]
    plain: Bot = await make_bot()
    card = await plain.chat(ADMIN).say("wxm")
    assert all(not data.startswith("web_app:") for row in card.buttons for _, data in row)


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
async def test_a_deal_won_on_the_board_shows_on_the_chats_timeline(
        make_bot: Any, frozen_time: time_machine.Coordinates) -> None:
    """The issue's "done when": a manager filters the table to gone-quiet core customers,
    edits one (the chat's /history shows it), drags a deal from proposal to won, and the
    rep's chat shows the purchase on the customer's timeline; the rep's signature shows
    the rep's customers only, a forged one nothing."""
    from playwright.async_api import async_playwright, expect

    port = free_port()
    bot: Bot = await make_bot(visibility="own", webapp={"url": APP_URL, "port": port})
    boss = bot.chat(ADMIN, "Alice")
    rita = await join(bot, RITA, "Rita")
    card = await rita.press(await rita.say("/add 王小明 13812345678 ACME 上海"), "Save")
    await rita.press(await rita.press(card, "Tier"), "core")
    deal = await rita.press(await rita.say("王小明的 X1 项目 预计 30 万 下月底签"), "Save")
    for stage in ("qualified", "proposal"):
        deal = await rita.press(deal, f"➡️ {stage}")
    await boss.press(await boss.say("/add 韩梅梅 13700002222 星辰"), "Save")
    frozen_time.shift(timedelta(days=40))
    card = await boss.press(await boss.say("/add 李雷 13900001111 ACME 北京"), "Save")
    await boss.press(await boss.press(card, "Tier"), "core")

    miniapp = MiniApp(bot.database, bot.settings)
    await miniapp.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as playwright:
            browser = await launched(playwright)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 800})
                await page.goto(opened(base, signed_as(bot, ADMIN, "Alice")))
                await expect(page.locator("#status")).to_have_text("3 customers")
                await page.select_option("#tier", "core")
                await page.check("#quiet")
                await expect(page.locator("#rows tr")).to_have_count(1)
                await expect(page.locator("#rows tr")).to_contain_text("王小明")
                await page.locator("#rows tr").first.click()
                await page.select_option("#editfield", "title")
                await page.fill("#editvalue", "采购经理")
                await page.click("#editsave")
                await expect(page.locator("#toast")).to_have_text("Saved.")
                history = await boss.say("/history C-000001")
                assert "title: — → 采购经理" in history.text
                assert "采购经理" in (await rita.say("wxm")).text  # the card in chat
                await page.click("#close")
                await page.click("#tabs [data-view=board]")
                card_on_board = page.locator(".column[data-stage=proposal] .deal")
                await expect(card_on_board).to_contain_text("X1 项目")
                await card_on_board.drag_to(page.locator(".column[data-stage=won]"))
                await expect(page.locator("#toast")).to_have_text("Moved to “won”.")
                await expect(page.locator(".column[data-stage=won] .deal")).to_contain_text(
                    "王小明")
                await page.screenshot(path=str(SCREENSHOTS / "board-won-desktop.png"))

                timeline = await rita.press(await rita.say("wxm"), "Timeline")
                assert "Purchase" in timeline.text and "X1 项目" in timeline.text

                page = await browser.new_page(viewport={"width": 360, "height": 740})
                await page.goto(opened(base, signed_as(bot, RITA, "Rita")))
                await expect(page.locator("#status")).to_have_text("1 customers")
                await expect(page.locator("#rows tr")).to_contain_text("王小明")
                page = await browser.new_page(viewport={"width": 360, "height": 740})
                await page.goto(opened(base, signed_as(bot, RITA, "Rita").replace(
                    "Rita", "Rina")))
                await expect(page.locator("#status")).to_have_text(
                    "the signature does not match")
                await expect(page.locator("#rows tr")).to_have_count(0)
            finally:
                await browser.close()
    finally:
        await miniapp.stop()


async def test_an_uploaded_sheets_columns_on_a_screen(make_bot: Any) -> None:
    """The chat's mapping card opens the same mapping in the app; a column changed there is
    what the chat's preview then reads; only its uploader (or an admin) may see it, and
    only until it is confirmed or cancelled may it change."""
    port = free_port()
    bot: Bot = await make_bot(webapp={"url": APP_URL, "port": port})
    alice = bot.chat(ADMIN, "Alice")
    await join(bot, RITA, "Rita", role="manager")  # a manager, not the uploader
    sheet = customer_sheet(60, bad_every=12, duplicate_every=20)
    card = await upload(alice, "客户.csv", sheet.csv_bytes("gbk"))
    assert ("🗂 Review in the app", f"web_app:{APP_URL}?job=1") in card.buttons[-1]
    miniapp = MiniApp(bot.database, bot.settings)
    await miniapp.start()
    try:
        async with aiohttp.ClientSession() as session:
            client = Client(session, f"http://127.0.0.1:{port}")
            boss = {"Authorization": "tma " + signed_as(bot, ADMIN, "Alice")}
            status, found, _ = await client.send("GET", "/app/api/imports/1", headers=boss)
            assert status == 200 and found["rows"] == 60 and found["header_row"] == 3
            email = found["columns"][2]
            assert (email["header"], email["field"]) == ("邮箱", "email")
            assert email["samples"] == ["c0@example.cn", "", ""]
            status, found, _ = await client.send("PATCH", "/app/api/imports/1", headers=boss,
                                                 body={"column": 2, "field": None})
            assert status == 200 and found["columns"][2]["field"] is None
            preview = await press(alice, card, "Preview", "Preview of")
            assert "60 rows: 55 valid, 5 with problems." in preview.text
            _, found, _ = await client.send("GET", "/app/api/imports/1?preview=1",
                                            headers=boss)
            assert (found["preview"]["valid"], found["preview"]["invalid"]) == (55, 5)
            assert {"row": 15, "text": "“12345” is not a valid phone number."} in found[
                "preview"]["problems"]
            for wrong in ({"column": 99, "field": "phone"}, {"column": 2, "field": "salary"},
                          {"column": "2", "field": "phone"}):
                status, _, _ = await client.send("PATCH", "/app/api/imports/1", headers=boss,
                                                 body=wrong)
                assert status == 400, wrong
            other = {"Authorization": "tma " + signed_as(bot, RITA, "Rita")}
            status, body, _ = await client.send("GET", "/app/api/imports/1", headers=other)
            assert (status, body["error"]) == (403, "That import is not yours.")
            await press(alice, preview, "Cancel", "Cancelled")
            status, body, _ = await client.send("PATCH", "/app/api/imports/1", headers=boss,
                                                body={"column": 2, "field": "email"})
            assert status == 409 and "already confirmed or cancelled" in body["error"]
    finally:
        await miniapp.stop()


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
async def test_the_import_screen_in_a_browser(make_bot: Any) -> None:
    """Opened by the mapping card's button (?job=ID): each column with its samples and a
    field menu; a change is saved at once; the preview's counts; a phone's width."""
    from playwright.async_api import async_playwright, expect

    port = free_port()
    bot: Bot = await make_bot(webapp={"url": APP_URL, "port": port})
    alice = bot.chat(ADMIN, "Alice")
    await upload(alice, "客户.csv", customer_sheet(60, bad_every=12).csv_bytes("gbk"))
    miniapp = MiniApp(bot.database, bot.settings)
    await miniapp.start()
    try:
        async with async_playwright() as playwright:
            browser = await launched(playwright)
            try:
                page = await browser.new_page(viewport={"width": 360, "height": 740})
                problems: list[str] = []
                page.on("pageerror", lambda error: problems.append(str(error)))
                address = opened(f"http://127.0.0.1:{port}", signed_as(bot, ADMIN, "Alice"))
                await page.goto(address.replace("/app/#", "/app/?job=1#"))
                await expect(page.locator("#importname")).to_have_text("客户.csv")
                await expect(page.locator("#importfacts")).to_have_text(
                    "Header in row 3; 60 rows.")
                email = page.locator("#importcolumns tbody tr").nth(2)
                await expect(email).to_contain_text("c0@example.cn")
                await expect(email.locator("select")).to_have_value("email")
                await email.locator("select").select_option("")
                await expect(page.locator("#toast")).to_have_text("Saved.")
                async with bot.database.unit_of_work() as session:
                    job = await session.get(ImportJob, 1)
                    assert job is not None and job.settings["mapping"][2] is None
                await page.click("#importpreview")
                await expect(page.locator("#importchecked")).to_contain_text(
                    "60 rows: 55 valid, 5 with problems.")
                await expect(page.locator("#importchecked")).to_contain_text(
                    "Row 15: “12345” is not a valid phone number.")
                await no_overflow(page, "import")
                await page.screenshot(path=str(SCREENSHOTS / "import-phone-light.png"),
                                      full_page=True)
                assert problems == []
            finally:
                await browser.close()
    finally:
        await miniapp.stop()

"""The Mini App's API over real HTTP on loopback, on the real database: who may see what,
and what a hostile request gets. A browser is not needed for any of this."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import aiohttp
import pytest

from bot.runtime.config import Settings
from storage.customers import CustomerDraft, create_customer
from storage.database import Database
from storage.interactions import log_interaction
from storage.models import Purchase, RequestKind, TargetMetric
from storage.privacy import history
from storage.requests import RequestDraft, open_request
from storage.sales.deals import DealDraft, create_deal, move_deal
from storage.sales.segments import save_segment
from storage.targets import Goal, month_of, set_targets
from storage.users import Actor, Visibility
from tests.conftest import NOW, make_member
from tests.harness import free_port
from webapp.auth import sign
from webapp.server import MiniApp

TOKEN = "123456:TEST-TOKEN"
ADMIN, ALICE, BOB, MIA, STRANGER = 1001, 2001, 2002, 3004, 9999
FIRST_NAMES = {ADMIN: "Boss", ALICE: "Alice", BOB: "Bob"}


def miniapp_settings(port: int, **webapp: Any) -> Settings:
    return Settings.model_validate({
        "telegram": {"token": TOKEN}, "webapp": {"port": port, **webapp},
        "team": {"admins": [ADMIN], "visibility": "own", "default_region": "CN"}})


def init_data(telegram_id: int, *, token: str = TOKEN, age: float = 0,
              language: str = "en") -> str:
    return sign({"auth_date": str(int(time.time() - age)),
                 "user": json.dumps({"id": telegram_id, "language_code": language,
                                     "first_name": FIRST_NAMES.get(telegram_id, "Eve")})},
                token)


class Client:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base

    async def get(self, path: str, who: int | None = None, *, init: str | None = None,
                  headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        sent = dict(headers or {})
        if who is not None or init is not None:
            sent["Authorization"] = "tma " + (init if init is not None else init_data(who or 0))
        return await self.send("GET", path, headers=sent)

    async def send(self, method: str, path: str, who: int | None = None, *,
                   body: Any = None, data: bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        sent = dict(headers or {})
        if who is not None:
            sent["Authorization"] = "tma " + init_data(who)
        async with self.session.request(method, self.base + path, headers=sent, json=body,
                                        data=data, allow_redirects=False) as answer:
            text = await answer.text()
            found = json.loads(text) if answer.content_type == "application/json" else text
            return answer.status, found, answer.headers


async def add(db: Database, actor: Actor, name: str, **fields: Any) -> int:
    async with db.unit_of_work() as session:
        customer = await create_customer(session, CustomerDraft(name=name, **fields), actor,
                                         default_region="CN")
        return customer.id


@pytest.fixture
async def app(db: Database) -> AsyncIterator[tuple[Client, dict[str, Actor], dict[str, int]]]:
    admin = await make_member(db, ADMIN, "Boss", role="admin", policy=Visibility.OWN)
    alice = await make_member(db, ALICE, "Alice", policy=Visibility.OWN)
    bob = await make_member(db, BOB, "Bob", policy=Visibility.OWN)
    ids = {
        "wang": await add(db, alice, "王小明", company="星辰科技", tier="core",
                          phones=["13812345678"], tags=["vip"]),
        "li": await add(db, alice, "李雷", company="ACME", region="上海"),
        "han": await add(db, bob, "韩梅梅", company="<script>alert(1)</script>",
                         notes="'; DROP TABLE customers; --"),
    }
    async with db.unit_of_work() as session:
        await log_interaction(session, alice, ids["wang"], kind="call",
                              summary="wants a quote <b>now</b>")
        deal = await create_deal(session, alice, DealDraft(ids["wang"], "X1 项目", 3_000_000,
                                                           "CNY"), ceiling_minor=10**12)
        for expected, to in (("lead", "qualified"), ("qualified", "proposal")):
            await move_deal(session, alice, deal.id, expected=expected, to=to,
                            loyal_within=timedelta(days=180), ceiling_minor=10**12)
        ids["x1"] = deal.id
        ids["x2"] = (await create_deal(session, bob, DealDraft(ids["han"], "X2", None, "CNY"),
                                       ceiling_minor=10**12)).id
        for member in (alice, bob):  # this month's: Alice has one contact of her 4
            await set_targets(session, admin, member.user_id, month_of(NOW.date()),
                              [Goal(TargetMetric.CONTACTS, 4)], NOW.date())
    port = free_port()
    miniapp = MiniApp(db, miniapp_settings(port))
    await miniapp.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield (Client(session, f"http://127.0.0.1:{port}"),
                   {"admin": admin, "alice": alice, "bob": bob}, ids)
    finally:
        await miniapp.stop()


def names(body: dict[str, Any]) -> list[str]:
    return sorted(row["name"] for row in body["rows"])


async def test_each_role_sees_what_it_sees_in_chat(app: Any, db: Database) -> None:
    client, _, ids = app
    status, body, _ = await client.get("/app/api/customers", ADMIN)
    assert status == 200 and names(body) == ["李雷", "王小明", "韩梅梅"]
    assert body["total"] == 3 and body["pages"] == 1
    _, body, _ = await client.get("/app/api/customers", ALICE)
    assert names(body) == ["李雷", "王小明"]  # a rep under `own`: their own only
    _, body, _ = await client.get("/app/api/customers", BOB)
    assert names(body) == ["韩梅梅"]
    # Another rep's customer by id: not found, as in chat; nothing says it exists.
    status, body, _ = await client.get(f"/app/api/customers/{ids['wang']}", BOB)
    assert status == 404 and "王小明" not in json.dumps(body, ensure_ascii=False)
    status, body, _ = await client.get("/app/api/customers?q=wxm", BOB)
    assert status == 200 and body["rows"] == []
    await make_member(db, MIA, "Mia", role="manager", policy=Visibility.OWN)
    _, body, _ = await client.get("/app/api/customers", MIA)
    assert names(body) == ["李雷", "王小明", "韩梅梅"]  # a manager sees the team's
    _, board, _ = await client.get("/app/api/board", MIA)
    assert board["team"] is True


async def test_search_filters_sort_and_the_card(app: Any, db: Database) -> None:
    client, actors, ids = app
    _, body, _ = await client.get("/app/api/customers?q=wxm", ALICE)
    assert names(body) == ["王小明"] and body["rows"][0]["phone"] == "+8613812345678"
    _, body, _ = await client.get("/app/api/customers?tier=core", ADMIN)
    assert names(body) == ["王小明"]
    _, body, _ = await client.get("/app/api/customers?region=上海", ADMIN)
    assert names(body) == ["李雷"]
    _, body, _ = await client.get("/app/api/customers?tag=vip&sort=name", ADMIN)
    assert names(body) == ["王小明"]
    _, body, _ = await client.get("/app/api/customers?sort=code", ADMIN)
    assert [row["code"] for row in body["rows"]] == ["C-000001", "C-000002", "C-000003"]
    status, card, _ = await client.get(f"/app/api/customers/{ids['wang']}", ALICE)
    assert status == 200 and card["code"] == "C-000001" and card["tags"] == ["vip"]
    assert card["fields"]["company"] == "星辰科技" and card["owner"] == "Alice"
    assert card["timeline"][0]["summary"] == "wants a quote <b>now</b>"  # data, not markup
    _, body, _ = await client.get(f"/app/api/customers?owner={BOB}", ADMIN)
    assert names(body) == ["韩梅梅"]
    async with db.unit_of_work() as session:
        segment = await save_segment(session, actors["admin"], "上海", "region:上海")
    _, body, _ = await client.get(f"/app/api/customers?segment={segment.id}", ADMIN)
    assert names(body) == ["李雷"]
    _, body, _ = await client.get(f"/app/api/customers?segment={segment.id}", BOB)
    assert names(body) == []  # the segment within what Bob may see
    status, body, _ = await client.get("/app/api/customers?segment=999", ADMIN)
    assert (status, body["error"]) == (404, "That segment is gone.")
    status, body, _ = await client.get("/app/api/customers?sort=evil", ADMIN)
    assert status == 400
    status, body, _ = await client.get("/app/api/customers?page=x", ADMIN)
    assert status == 400


async def test_hostile_text_comes_back_as_data(app: Any) -> None:
    client, _, ids = app
    status, card, headers = await client.get(f"/app/api/customers/{ids['han']}", ADMIN)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert card["fields"]["company"] == "<script>alert(1)</script>"
    assert card["fields"]["notes"] == "'; DROP TABLE customers; --"
    _, body, _ = await client.get("/app/api/customers?q='; DROP TABLE customers; --", ADMIN)
    assert body["rows"] == []
    _, body, _ = await client.get("/app/api/customers", ADMIN)
    assert body["total"] == 3  # still there


async def test_refusals(app: Any) -> None:
    client, _, _ = app
    cases = {
        "missing": (None, 401),
        "forged": (init_data(ALICE).replace("Alice", "Alicia"), 401),
        "another bot": (init_data(ADMIN, token="654321:OTHER"), 401),
        "replayed after the window": (init_data(ADMIN, age=2 * 86_400), 401),
        "not a member": (init_data(STRANGER), 403),
    }
    for case, (init, wanted) in cases.items():
        status, body, _ = await client.get("/app/api/customers", init=init or "")
        assert status == wanted, case
        assert "rows" not in body, case
    status, body, _ = await client.get("/app/api/customers", ADMIN,
                                       headers={"Origin": "https://evil.example"})
    assert status == 403 and "rows" not in body
    status, body, _ = await client.get(  # the page itself (behind a TLS proxy: https)
        "/app/api/customers", ADMIN, headers={"Origin": client.base.replace("http", "https")})
    assert status == 200 and body["total"] == 3
    async with client.session.post(client.base + "/app/api/customers",
                                   data=b"x" * 100_000,
                                   headers={"Authorization": "tma " + init_data(ADMIN)}) as big:
        assert big.status in (405, 413)


async def test_the_page_and_its_headers(app: Any) -> None:
    client, _, _ = app
    async with client.session.get(client.base + "/app", allow_redirects=False) as moved:
        assert moved.status == 308 and moved.headers["Location"] == "/app/"
    status, page, headers = await client.get("/app/")
    assert status == 200 and '<script src="static/app.js"' in page
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and headers["X-Content-Type-Options"] == "nosniff"
    status, script, _ = await client.get("/app/static/app.js")
    assert status == 200 and "textContent" in script and "innerHTML" not in script
    status, _, _ = await client.get("/app/static/../server.py")
    assert status in (403, 404)


async def test_an_edit_goes_through_the_chats_rules(app: Any, db: Database) -> None:
    client, actors, ids = app
    path = f"/app/api/customers/{ids['wang']}"
    status, card, _ = await client.send("PATCH", path, ALICE,
                                        body={"field": "title", "value": "采购经理"})
    assert status == 200 and card["fields"]["title"] == "采购经理"
    async with db.unit_of_work() as session:  # what the chat's /history shows
        [latest, *_] = await history(session, actors["admin"], ids["wang"])
    assert latest.who == "Alice" and latest.fields["title"] == (None, "采购经理")
    status, body, _ = await client.send("PATCH", path, ALICE,
                                        body={"field": "phone", "value": "12345"})
    assert status == 422 and "phone" in body["error"] and "<" not in body["error"]
    status, body, _ = await client.send("PATCH", path, ALICE,
                                        body={"field": "owner_id", "value": "1"})
    assert (status, body["error"]) == (422, "That field cannot be changed here.")
    status, body, _ = await client.send("PATCH", path, ALICE,
                                        body={"field": "name", "value": "王" * 101})
    assert status == 422
    status, body, _ = await client.send("PATCH", path, BOB,
                                        body={"field": "title", "value": "x"})
    assert status == 404 and "王小明" not in json.dumps(body, ensure_ascii=False)
    status, body, _ = await client.send("PATCH", path, ALICE, data=b"title=x",
                                        headers={"Content-Type": "application/json"})
    assert status == 400
    status, body, _ = await client.send("PATCH", path, ALICE, body=["title", "x"])
    assert status == 400
    _, card, _ = await client.get(path, ALICE)
    assert card["fields"]["title"] == "采购经理" and card["phones"] == ["+8613812345678"]


HOSTILE = ["<script>alert(1)</script>", "'; DROP TABLE customers; --", "\" OR 1=1 --",
           "<img src=x onerror=alert(1)>", "{{7*7}} ${7*7} %s %(x)s"]


async def test_hostile_text_in_every_field_is_kept_as_text(app: Any) -> None:
    """Every text field of the card, edited through the API with markup, SQL and format
    strings: stored and given back exactly, found by search, and nothing else changed."""
    client, _, ids = app
    path = f"/app/api/customers/{ids['li']}"
    for name in ("name", "company", "title", "region", "address", "source", "preferences",
                 "notes"):
        for text in HOSTILE:
            status, card, _ = await client.send("PATCH", path, ALICE,
                                                body={"field": name, "value": text})
            assert status == 200, (name, text, card)
            shown = card["name"] if name == "name" else card["fields"][name]
            assert shown == text, (name, text)
    _, body, _ = await client.get("/app/api/customers?sort=code", ADMIN)
    assert [row["name"] for row in body["rows"]] == ["王小明", HOSTILE[-1], "韩梅梅"]
    _, body, _ = await client.get("/app/api/customers?q=" + quote(HOSTILE[1]), ADMIN)
    assert body["total"] <= 3
    status, _, _ = await client.send("PATCH", path, ALICE, data=b"{" + b" " * 70_000 + b"}",
                                     headers={"Content-Type": "application/json"})
    assert status == 413


async def test_the_board_and_one_move(app: Any) -> None:
    client, _, ids = app
    status, board, _ = await client.get("/app/api/board", ADMIN)
    columns = {column["stage"]: column for column in board["columns"]}
    assert status == 200 and board["team"] is True and list(columns) == [
        "lead", "qualified", "proposal", "negotiation", "won", "lost"]
    assert columns["proposal"]["count"] == 1 and columns["proposal"]["totals"] == {
        "CNY": 3_000_000}
    [x1] = columns["proposal"]["deals"]
    assert (x1["customer"], x1["value_minor"], x1["owner"]) == ("王小明", 3_000_000, "Alice")
    _, board, _ = await client.get("/app/api/board", BOB)
    seen = [d["title"] for column in board["columns"] for d in column["deals"]]
    assert seen == ["X2"] and board["team"] is False
    move = f"/app/api/deals/{ids['x1']}/move"
    status, body, _ = await client.send("POST", move, BOB,
                                        body={"expected": "proposal", "to": "won"})
    assert status == 404
    status, deal, _ = await client.send("POST", move, ADMIN,
                                        body={"expected": "proposal", "to": "won"})
    assert status == 200 and deal["stage"] == "won"
    status, body, _ = await client.send("POST", move, ALICE,
                                        body={"expected": "proposal", "to": "lost"})
    assert status == 409 and "Someone moved this deal first" in body["error"]
    _, card, _ = await client.get(f"/app/api/customers/{ids['wang']}", ALICE)
    assert card["timeline"][0]["kind"] == "purchase" and card["fields"]["stage"] == "customer"
    status, body, _ = await client.send("POST", f"/app/api/deals/{ids['x2']}/move", BOB,
                                        body={"expected": "lead", "to": "won"})
    assert status == 422 and "value" in body["error"]  # the chat's rule: no value, no win
    status, body, _ = await client.send("POST", f"/app/api/deals/{ids['x2']}/move", BOB,
                                        body={"expected": "lead", "to": "sold"})
    assert status == 400


async def test_the_dashboard_in_both_languages(app: Any, db: Database) -> None:
    client, _, _ = app
    status, charts, _ = await client.get("/app/api/dashboard", ADMIN)
    assert status == 200 and [c["title"] for c in charts] == [
        "Customers by region", "Purchases per month", "Pipeline funnel", "Customers by tier",
        "Contacts logged per member per week", "Money due and collected per month"]
    regions = charts[0]
    assert regions["labels"] == ["上海", "other / not given"]
    assert regions["series"][0][1] == [1.0, 2.0]
    _, body, _ = await client.get("/app/api/choices", ADMIN)
    assert body["regions"] == [{"value": "上海", "count": 1}]
    assert body["tags"] == [{"value": "vip", "count": 1}]
    assert [o["name"] for o in body["owners"]] == ["Alice", "Bob", "Boss"]
    _, body, _ = await client.get("/app/api/choices", ALICE)
    assert body["owners"] == [] and body["tags"] == [{"value": "vip", "count": 1}]
    await make_member(db, 3003, "Zhang", policy=Visibility.OWN, language="zh-hans")
    status, charts, _ = await client.get("/app/api/dashboard",
                                       init=init_data(3003, language="zh-hans"))
    assert status == 200 and charts[0]["title"] == "客户地区分布"
    _, me, _ = await client.get("/app/api/me", init=init_data(3003, language="zh-hans"))
    assert me["strings"]["text"]["board"] == "销售管道" and me["manager"] is False


async def test_targets_on_the_dashboard_as_in_chat(app: Any) -> None:
    client, _, _ = app
    status, found, _ = await client.get("/app/api/targets", ADMIN)
    assert status == 200 and found["title"] == "🎯 2026-11 · 67% of the period gone"
    assert [(r["name"], r["metric"], r["text"]) for r in found["rows"]] == [
        ("Alice", "Contacts", "1 / 4 · 25% · behind pace 42%"),
        ("Bob", "Contacts", "0 / 4 · 0% · behind pace 67%")]
    assert [r["text"] for r in found["totals"]] == ["1 / 8 · 12% · behind pace 54%"]
    assert found["ranking"] == ["1. Alice 25%", "2. Bob 0%"]
    _, mine, _ = await client.get("/app/api/targets", BOB)  # a rep: their own, no ranking
    assert [r["name"] for r in mine["rows"]] == ["Bob"] and mine["ranking"] == []


async def test_the_development_login_answers_only_this_machine(db: Database) -> None:
    port = free_port()
    for enabled in (False, True):
        miniapp = MiniApp(db, miniapp_settings(port, dev_login=enabled))
        await miniapp.start()
        try:
            async with aiohttp.ClientSession() as session:
                client = Client(session, f"http://127.0.0.1:{port}")
                status, body, headers = await client.send("GET", f"/app/dev?as={ADMIN}")
                if not enabled:
                    assert status == 403 and "off" in body["error"]
                    continue
                assert status == 303
                signed = unquote(headers["Location"].split("#tgWebAppData=")[1])
                status, me, _ = await client.get("/app/api/me", init=signed)
                assert status == 200 and me["role"] == "admin"
                for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
                    status, body, _ = await client.send(
                        "GET", f"/app/dev?as={ADMIN}", headers={header: "203.0.113.9"})
                    assert status == 403 and "this machine" in body["error"], header
        finally:
            await miniapp.stop()


CHROMIUM = shutil.which("chromium")
SCREENSHOTS = Path(__file__).parents[2] / "screenshots"
DARK = {"bg_color": "#000000", "text_color": "#ffffff", "hint_color": "#aaaaaa",
        "button_color": "#8774e1", "button_text_color": "#ffffff",
        "secondary_bg_color": "#1c1c1d"}


NO_BROWSER = "no browser: Debian's chromium is not installed (.ci/run installs it; " \
    "apt-get install chromium)"
# What a phone's Telegram client offers the page: the page's messages to the client are
# kept in window.sent; the client's answers are window.Telegram.WebView.receiveEvent.
TELEGRAM_CLIENT = """window.sent = [];
window.TelegramWebviewProxy = { postEvent(type, data) {
  window.sent.push([type, data ? JSON.parse(data) : null]); } };"""


def opened(base: str, who_init: str, theme: dict[str, str] | None = None,
           customer: int | None = None) -> str:
    """The address as Telegram opens it: initData and theme in the fragment."""
    fragment = {"tgWebAppData": who_init, "tgWebAppVersion": "8.0"}
    if theme:
        fragment["tgWebAppThemeParams"] = json.dumps(theme)
    asked = f"?customer={customer}" if customer else ""
    return f"{base}/app/{asked}#{urlencode(fragment, quote_via=quote)}"


async def launched(playwright: Any) -> Any:
    assert CHROMIUM is not None
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"])


async def watched_page(browser: Any, width: int) -> tuple[Any, list[str]]:
    """A fresh page; its script errors and console errors collected."""
    page = await browser.new_page(viewport={"width": width, "height": 740})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(
        message.text) if message.type == "error" else None)
    return page, problems


async def no_overflow(page: Any, label: str) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (label, overflow)


async def owes_and_asks(db: Database, ids: dict[str, int], alice: Actor) -> None:
    """王小明 bought for ¥48,000 forty days ago and paid nothing; he has an open request."""
    async with db.unit_of_work() as session:
        session.add(Purchase(customer_id=ids["wang"], user_id=alice.user_id, product="X1",
                             quantity=20, amount_minor=4_800_000, currency="CNY",
                             occurred_at=datetime.now(UTC) - timedelta(days=40)))
        await open_request(session, alice, RequestDraft(ids["wang"], "X1 漏油",
                                                        RequestKind.FAULT))


async def test_receivables_the_open_requests_filter_and_the_card(app: Any, db: Database
                                                                 ) -> None:
    client, actors, ids = app
    await owes_and_asks(db, ids, actors["alice"])
    status, found, _ = await client.get("/app/api/receivables", ADMIN)
    assert status == 200 and found["totals"] == {"CNY": {
        "not due": 0, "0-30": 0, "31-60": 4_800_000, "61-90": 0, "90+": 0}}
    assert list(found["owners"]) == ["Alice"]  # a manager sees it per owner
    _, found, _ = await client.get("/app/api/receivables", BOB)
    assert found["totals"] == {} and found["owners"] == {}  # nothing of Bob's is owed
    _, body, _ = await client.get("/app/api/customers?open_requests=1", ADMIN)
    assert names(body) == ["王小明"]
    _, body, _ = await client.get("/app/api/customers?open_requests=1", BOB)
    assert names(body) == []
    _, card, _ = await client.get(f"/app/api/customers/{ids['wang']}", ALICE)
    assert card["owed"] == {"CNY": 4_800_000}
    assert [(r["kind"], r["problem"]) for r in card["requests"]] == [("fault", "X1 漏油")]


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
async def test_every_screen_in_a_real_browser(app: Any) -> None:
    """As Telegram opens it, light and dark, a phone and a desktop: the table, a search,
    a card, the board and the dashboard, with no script error and nothing wider than the
    screen; a rep's signature shows a rep's rows, a forged one none. Every screen is
    saved to screenshots/ for review."""
    from playwright.async_api import async_playwright, expect

    client, _, _ = app
    SCREENSHOTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await launched(playwright)
        try:
            for width, theme, label in ((360, None, "phone-light"), (360, DARK, "phone-dark"),
                                        (1280, None, "desktop-light"),
                                        (1280, DARK, "desktop-dark")):
                page, problems = await watched_page(browser, width)
                await page.goto(opened(client.base, init_data(ADMIN), theme))
                await expect(page.locator("#status")).to_have_text("3 customers")
                await expect(page.locator("#rows tr")).to_have_count(3)
                await no_overflow(page, label)
                if theme:
                    background = await page.evaluate(
                        "getComputedStyle(document.body).backgroundColor")
                    assert background == "rgb(0, 0, 0)", label
                await page.screenshot(path=str(SCREENSHOTS / f"table-{label}.png"))
                await page.fill("#q", "wxm")
                await expect(page.locator("#rows tr")).to_have_count(1)
                await page.locator("#rows tr").first.click()
                await expect(page.locator("#cardname")).to_have_text("C-000001 王小明")
                await expect(page.locator("#cardtimeline")).to_contain_text(
                    "wants a quote <b>now</b>")  # shown as text, not markup
                await expect(page.locator("#carddeals")).to_contain_text("X1 项目 · proposal")
                await page.screenshot(path=str(SCREENSHOTS / f"card-{label}.png"))
                await page.click("#close")
                await page.click("#tabs [data-view=board]")
                await expect(page.locator(".column[data-stage=proposal] .deal")).to_contain_text(
                    "X1 项目")
                await expect(page.locator(".column[data-stage=proposal] h3")).to_have_text(
                    "proposal · 1 · 30,000 CNY")
                await no_overflow(page, label + " board")
                await page.screenshot(path=str(SCREENSHOTS / f"board-{label}.png"),
                                      full_page=True)
                await page.click("#tabs [data-view=dashboard]")  # two empty: no purchases yet
                await expect(page.locator("#targets .target")).to_have_count(3)  # 2 and Σ
                await expect(page.locator("#targets")).to_contain_text("1 / 4 · 25%")
                await expect(page.locator("#charts figure")).to_have_count(6)
                await expect(page.locator("#charts figure svg")).to_have_count(4)
                await expect(page.locator("#charts figure").first).to_contain_text("上海")
                await no_overflow(page, label + " dashboard")
                await page.screenshot(path=str(SCREENSHOTS / f"dashboard-{label}.png"),
                                      full_page=True)
                await page.click("#tabs [data-view=money]")
                await expect(page.locator("#aging")).to_contain_text(
                    "Nothing is owed: every purchase is paid.")
                await no_overflow(page, label + " receivables")
                assert problems == [], (label, problems)
                await page.close()
            page, _ = await watched_page(browser, 360)
            await page.goto(opened(client.base, init_data(ALICE)))
            await expect(page.locator("#status")).to_have_text("2 customers")
            await page.close()
            page, _ = await watched_page(browser, 360)
            await page.goto(opened(client.base, init_data(ALICE).replace("Alice", "Alicia")))
            await expect(page.locator("#status")).to_have_text(
                "the signature does not match")
            await expect(page.locator("#rows tr")).to_have_count(0)
        finally:
            await browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
async def test_edit_and_move_with_telegrams_buttons(app: Any, db: Database) -> None:
    """Inside a phone's Telegram (its bridge stubbed as the client offers it): the card's
    button opens the app at the customer, the bottom button saves an edit that /history
    shows, the BackButton closes the card, a deal moves by its stage menu, and a move
    someone else made first is refused with the chat's sentence. In Chinese."""
    from playwright.async_api import async_playwright, expect

    client, actors, ids = app
    await make_member(db, 3003, "Zhang", policy=Visibility.OWN, language="zh-hans")
    async with async_playwright() as playwright:
        browser = await launched(playwright)
        try:
            page, problems = await watched_page(browser, 360)
            await page.add_init_script(TELEGRAM_CLIENT)
            await page.goto(opened(client.base, init_data(ALICE, language="zh-hans"),
                                   customer=ids["wang"]))
            await expect(page.locator("#cardname")).to_have_text("C-000001 王小明")
            sent = await page.evaluate("window.sent")
            assert ["web_app_ready", None] in sent and ["web_app_expand", None] in sent
            assert ["web_app_setup_back_button", {"is_visible": True}] in sent
            [bottom] = [data for kind, data in sent if kind == "web_app_setup_main_button"]
            assert bottom["is_visible"] and bottom["text"] == "保存"
            await page.select_option("#editfield", "title")
            await page.fill("#editvalue", "采购经理")
            await page.evaluate("Telegram.WebView.receiveEvent('main_button_pressed')")
            await expect(page.locator("#toast")).to_have_text("已保存。")
            await expect(page.locator("#cardfields")).to_contain_text("采购经理")
            async with db.unit_of_work() as session:
                [latest, *_] = await history(session, actors["admin"], ids["wang"])
            assert latest.who == "Alice" and latest.fields["title"] == (None, "采购经理")
            await page.evaluate("Telegram.WebView.receiveEvent('back_button_pressed')")
            await expect(page.locator("#drawer")).to_be_hidden()
            await page.evaluate("Telegram.WebView.receiveEvent('theme_changed', "
                                "{theme_params: {bg_color: '#000000'}})")
            assert await page.evaluate(
                "getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
            await page.click("#tabs [data-view=board]")
            deal = page.locator(f".deal[data-id='{ids['x1']}']")
            await expect(deal).to_contain_text("X1 项目")
            async with db.unit_of_work() as session:  # a colleague moves it meanwhile
                await move_deal(session, actors["alice"], ids["x1"], expected="proposal",
                                to="negotiation", loyal_within=timedelta(days=180),
                                ceiling_minor=10**12)
            await deal.locator("select").select_option("lost")
            await expect(page.locator("#toast")).to_contain_text("已有人先移动了这个商机")
            deal = page.locator(f".column[data-stage=negotiation] .deal[data-id='{ids['x1']}']")
            await deal.locator("select").select_option("lost")
            await expect(page.locator("#toast")).to_have_text("已移到“输单”。")
            await expect(page.locator(".column[data-stage=lost] .deal")).to_contain_text(
                "X1 项目")
            await page.screenshot(path=str(SCREENSHOTS / "board-phone-telegram-zh.png"),
                                  full_page=True)
            # The refused move is the one failed request the browser reports.
            assert [p for p in problems if "409 (Conflict)" not in p] == []
        finally:
            await browser.close()

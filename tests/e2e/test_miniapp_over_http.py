"""`salesbot run` with `[webapp]` set, as a child process over real HTTP: it sets the
menu button, its cards carry the button that opens the app, and the same process serves
the page and the signed-in API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp

from bot.process.transports.fakeapi import FakeBotApi
from tests.e2e.process import ADMIN, TOKEN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.harness import free_port, poll_until
from webapp.auth import sign

APP_URL = "https://crm.example.com/app/"


async def test_the_mini_app_served_by_the_running_bot(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    port = free_port()
    bot = BotProcess(write_config(tmp_path, http.url, database_url,
                                  f'[webapp]\nport = {port}\nurl = "{APP_URL}"\n'))
    await bot.start(api)
    try:
        # Set after the commands (which say the bot is up), retried like any call.
        assert await poll_until(lambda: api.menu_buttons.get(0)) == {
            "type": "web_app", "text": "CRM", "web_app": {"url": APP_URL}}
        alice = api.user(ADMIN, "Alice")
        api.user_sends(alice, "/add 王小明 138 1234 5678")
        card = await poll_until(lambda: next(
            (m for m in api.chat(ADMIN) if "is this right?" in m.text), None))
        api.user_presses(alice, card, "add:save")
        await poll_until(lambda: "Saved as" in card.text)
        assert ("🗂 Open in the app", f"web_app:{APP_URL}?customer=1") in card.buttons[-1]
        signed = sign({"auth_date": str(int(time.time())),
                       "user": json.dumps({"id": ADMIN, "first_name": "Alice"})}, TOKEN)
        base = f"http://127.0.0.1:{port}/app/"
        async with aiohttp.ClientSession() as client:
            async with client.get(base) as page:
                assert page.status == 200 and "static/app.js" in await page.text()
                assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            async with client.get(base + "api/customers?q=wxm",
                                  headers={"Authorization": "tma " + signed}) as found:
                assert found.status == 200
                assert [row["name"] for row in (await found.json())["rows"]] == ["王小明"]
            forged = signed.replace("Alice", "Alicia")
            async with client.get(base + "api/customers?q=wxm",
                                  headers={"Authorization": "tma " + forged}) as refused:
                assert refused.status == 401 and "rows" not in await refused.json()
    finally:
        stderr = await bot.stop()
    assert "the Mini App on http://127.0.0.1" in stderr
    assert " ERROR " not in stderr and "Traceback" not in stderr

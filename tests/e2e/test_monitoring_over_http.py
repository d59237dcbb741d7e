"""What an operator sees of a running bot: /healthz, Prometheus metrics, and a log that
says a transient failure in one WARNING line."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.process.transports.fakeapi import FakeBotApi
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_reminders_over_http import FAST_SWEEPS, seed_due_reminders
from tests.harness import free_port, poll_until, poll_until_async

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(exposition: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(exposition)
            for s in family.samples}


async def test_health_metrics_and_one_warning_line_for_a_5xx(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    await seed_due_reminders(database_url, 3)
    port = free_port()
    alice = api.user(ADMIN, "Alice")
    api.fail_next("sendMessage", 500)  # the first reminder's send: retried, then sent
    bot = BotProcess(write_config(
        tmp_path, http.url, database_url,
        FAST_SWEEPS + f"[monitoring]\nport = {port}\n[backup]\nfolder = "
        f'"{tmp_path / "backups"}"\n'))
    await bot.start(api)
    try:
        await poll_until(lambda: len([m for m in api.chat(ADMIN)
                                      if m.text.startswith("⏰")]) == 3)
        for text in ("/help", "wxm", "/backup"):
            shown = len(api.chat(ADMIN))
            api.user_sends(alice, text)
            await poll_until(lambda shown=shown: len(api.chat(ADMIN)) > shown)
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/healthz") as answer:
                assert answer.status == 200
                health = await answer.json()

            async def all_counted() -> Samples | None:
                async with client.get(f"http://127.0.0.1:{port}/metrics") as answer:
                    assert answer.status == 200
                    figures = samples(await answer.text())
                # The last update is counted once its handling has ended.
                handled = ("salesbot_updates_handled_total", (("kind", "message"),))
                return figures if figures.get(handled) == 3 else None

            figures = await poll_until_async(all_counted)
    finally:
        stderr = await bot.stop()
    assert health["status"] == "ok" and health["role"] == "active"
    assert health["database"] == "ok" and health["reminder_lag_seconds"] == 0
    assert health["seconds_since_telegram"] < 5
    assert figures[("salesbot_reply_latency_seconds_count", ())] == 3
    assert figures[("salesbot_reminders_sent_total", (("late", "true"),))] == 3
    assert figures[("salesbot_reminders_due", ())] == 0
    assert figures[("salesbot_telegram_retries_total", (("method", "sendMessage"),))] == 1
    assert figures[("salesbot_telegram_429_total", ())] == 0
    backups = 0 if "pg_dump" in api.chat(ADMIN)[-1].text else 1
    assert figures[("salesbot_backups_total", ())] == backups
    # One line says what failed; nothing else is above INFO, no traceback, no line for
    # each run of the periodic sweeps.
    lines = stderr.splitlines()
    warnings = [line for line in lines if " WARNING " in line]
    assert len(warnings) == 1, stderr[-3000:]
    assert "sendMessage: 500; trying again in 0.25 s" in warnings[0]
    assert not [line for line in lines if " ERROR " in line or "Traceback" in line]
    assert not [line for line in lines if "apscheduler" in line], stderr[-3000:]

"""Worker processes leave when idle and come back on demand, as an operator sees it:
`/healthz` and `/metrics` of `salesbot run` name the workers alive and their memory, and
the process tree shrinks back to the bot once the work is done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bot.process.transports.fakeapi import FakeBotApi
from tests.cards import LI, WANG, known
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_monitoring_over_http import samples
from tests.harness import free_port, poll_until, poll_until_async

IDLE = "[workers]\nidle_minutes = 0.1\n"  # 6 s


async def health(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as client, client.get(
            f"http://127.0.0.1:{port}/healthz") as answer:
        assert answer.status == 200
        report: dict[str, Any] = await answer.json()
        return report


def spawned_children(pid: int) -> list[psutil.Process]:
    """The bot's worker processes ("spawn" starts them through a fresh interpreter)."""
    return [child for child in psutil.Process(pid).children(recursive=True)
            if "spawn_main" in " ".join(child.cmdline())]


async def test_the_ocr_worker_leaves_when_idle_and_comes_back_for_the_next_card(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    port = free_port()
    alice = api.user(ADMIN, "Alice")
    bot = BotProcess(write_config(tmp_path, http.url, database_url,
                                  IDLE + f"[monitoring]\nport = {port}\n"))
    await bot.start(api)
    try:
        assert bot.process is not None
        before = await health(port)
        assert before["workers"]["ocr"] == {"processes": 0, "memory_mb": 0}
        assert before["workers"]["total"]["processes"] == 1

        api.user_sends_photo(alice, known(LI, "two columns", seed=5))
        await poll_until(lambda: any("Name: 李娜" in m.text for m in api.chat(ADMIN)),
                         timeout=60)
        working = await health(port)  # within the 6 s the worker waits for more
        assert working["workers"]["ocr"]["processes"] == 1
        assert working["workers"]["ocr"]["memory_mb"] > 100  # the models are loaded
        assert working["workers"]["total"]["memory_mb"] > (
            working["workers"]["ocr"]["memory_mb"])
        [worker] = spawned_children(bot.process.pid)

        async def worker_gone() -> dict[str, Any] | None:
            report = await health(port)
            return report if report["workers"]["ocr"]["processes"] == 0 else None

        idle = await poll_until_async(worker_gone, timeout=60)
        await poll_until(lambda: not worker.is_running() or
                         worker.status() == psutil.STATUS_ZOMBIE, timeout=30)
        assert idle["workers"]["total"]["memory_mb"] < working["workers"]["total"][
            "memory_mb"] - 100

        api.user_sends_photo(alice, known(WANG, "centred", seed=3))  # started again
        await poll_until(lambda: any("Name: 王小明" in m.text for m in api.chat(ADMIN)),
                         timeout=60)
        async with aiohttp.ClientSession() as client, client.get(
                f"http://127.0.0.1:{port}/metrics") as answer:
            figures = samples(await answer.text())
    finally:
        stderr = await bot.stop()
    assert figures[("salesbot_workers_alive", (("pool", "ocr"),))] == 1
    assert figures[("salesbot_worker_memory_bytes", (("pool", "ocr"),))] > 100 * 2**20
    assert figures[("salesbot_process_tree_memory_bytes", ())] > (
        figures[("salesbot_worker_memory_bytes", (("pool", "ocr"),))])
    assert "ocr workers idle for 6 s: ended" in stderr
    assert "Traceback" not in stderr, stderr[-3000:]

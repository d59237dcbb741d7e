"""`salesbot run` as a child process against the HTTP fake, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.process.transports.fakeapi import FakeBotApi
from tests.harness import poll_until

TOKEN = "123456:TEST-TOKEN"
ADMIN = 4242
# Every bot a test started, so that one left running is found (tests/e2e/conftest.py).
STARTED: list[asyncio.subprocess.Process] = []


def write_config(folder: Path, api_url: str, database_url: str, extra: str = "", *,
                 admins: list[int] | None = None, telegram: str = "",
                 name: str = "config.toml") -> Path:
    config = folder / name
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "{api_url}"\npoll_timeout = 1\n'
        f'{telegram}[database]\nurl = "{database_url}"\n'
        f"[team]\nadmins = {admins or [ADMIN]}\nrequests_per_minute = 1000\n{extra}",
        encoding="utf-8",
    )
    return config


class BotProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, api: FakeBotApi, *, wait: bool = True) -> None:
        """Starts the bot and waits until it has registered its commands (it is up);
        `wait=False` for a standby, which registers them only once it takes over."""
        published = sum(1 for method, _ in api.calls if method == "setMyCommands")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SALESBOT_")}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(self.config), "run",
            env={**env, "PYTHONUNBUFFERED": "1"}, cwd=self.config.parent,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        process = self.process
        STARTED.append(process)
        if not wait:
            return
        try:
            await poll_until(lambda: process.returncode is not None or sum(
                1 for method, _ in api.calls if method == "setMyCommands") >= published + 2,
                timeout=60)
        except AssertionError:
            process.kill()
            _, stderr = await process.communicate()
            raise AssertionError("the bot was not up within 60 s; it said: "
                                 + stderr.decode(errors="replace")[-3000:]) from None
        assert process.returncode is None, "the bot exited at start"

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.communicate()

    async def terminate(self) -> tuple[int, float, str]:
        """SIGTERM, as a supervisor stops it: exit code, seconds taken, stderr."""
        assert self.process is not None
        started = asyncio.get_running_loop().time()
        self.process.terminate()
        _, stderr = await asyncio.wait_for(self.process.communicate(), 60)
        taken = asyncio.get_running_loop().time() - started
        assert self.process.returncode is not None
        return self.process.returncode, taken, stderr.decode(errors="replace")

    async def stop(self) -> str:
        """Stops the bot gracefully; returns what it wrote to stderr."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
        _, stderr = await self.process.communicate()
        return stderr.decode(errors="replace")

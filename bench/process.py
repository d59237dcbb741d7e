"""The memory of `salesbot run` itself, as an operator's `ps` shows it.

The bot runs as a child process over real HTTP against the fake Bot API (the end-to-end
tests' harness), on the database the search part seeded, and is used by ten members at
once: 120 lookups by name, 30 customers added through the confirmation card and 10
calls logged in English with a follow-up date (read by bot/understanding/dates.py's own
grammar: when dateparser's search read them, its first use added 15 MB). Its RSS is read
after the start and after all that; the in-process figures of bench/flow.py leave out
what the command line and the transports load, and use one member at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import psutil

from bot.process.transports.fakeapi import FakeBotApi
from tests.e2e.process import ADMIN, TOKEN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.harness import poll_until

SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜秀英敏静丽强磊"


MEMBERS = [ADMIN + number for number in range(10)]


@contextlib.asynccontextmanager
async def running_bot(url: str, extra: str = "", *, admins: list[int] | None = None
                      ) -> AsyncIterator[tuple[FakeBotApi, int]]:
    """`salesbot run` as a child process over HTTP against the fake Bot API, on `url`
    with `extra` settings: the fake and the bot's process id, stopped on leaving."""
    api = FakeBotApi()
    server = BotApiServer(api, TOKEN)
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            bot = BotProcess(write_config(Path(folder), server.url, url, extra,
                                          admins=admins))
            await bot.start(api)
            try:
                assert bot.process is not None
                yield api, bot.process.pid
            finally:
                await bot.stop()
    finally:
        await server.stop()


async def measure(url: str) -> dict[str, float]:
    async with running_bot(url, admins=MEMBERS) as (api, pid):
        process = psutil.Process(pid)
        await asyncio.gather(*(_answered(api, member, "/start") for member in MEMBERS))
        started = process.memory_info().rss / 2**20
        await asyncio.gather(*(_use(api, member) for member in MEMBERS))
        return {"start": started, "used": process.memory_info().rss / 2**20}


async def _use(api: FakeBotApi, member: int) -> None:
    """One member's share (Telegram paces the replies to one chat at one a second, so
    the ten members work side by side)."""
    rng = random.Random(member)
    for _ in range(12):
        await _answered(api, member, rng.choice(SURNAMES) + rng.choice(GIVEN))
    pressed: set[tuple[int, str]] = set()
    for number in range(3):
        saved = sum("Saved as" in m.text for m in api.chat(member))
        api.user_sends(api.user(member), f"/add {_new_name(member, number)} "
                       f"139{member:04d}{number:04d} 上海")

        def confirm(member: int = member, saved: int = saved) -> bool:
            """Saves the card; a similar name among 100,000 is added anyway (the warning
            becomes the card in place, so a message is pressed once per label)."""
            for message in api.chat(member):
                label = ("Save" if "is this right?" in message.text else
                         "Add anyway" if "may already be" in message.text else None)
                if label is not None and (message.message_id, label) not in pressed:
                    pressed.add((message.message_id, label))
                    api.user_presses(api.user(member), message, message.button_data(label))
            return sum("Saved as" in m.text for m in api.chat(member)) > saved

        await poll_until(confirm, timeout=30)
    await _answered(api, member, f"called {rng.choice(SURNAMES)}{rng.choice(GIVEN)}, wants "
                    "a quote, follow up next Friday 3pm")


def _new_name(member: int, number: int) -> str:
    """Names no seeded customer has."""
    return "欧阳司马"[number] + "甲乙丙丁戊己庚辛壬癸"[member - ADMIN] + "龙虎豹"[number]


async def _answered(api: FakeBotApi, member: int, text: str) -> None:
    before = len(api.chat(member))
    api.user_sends(api.user(member), text)
    await poll_until(lambda: len(api.chat(member)) > before, timeout=30)


if __name__ == "__main__":
    import sys

    print(asyncio.run(measure(sys.argv[1])))

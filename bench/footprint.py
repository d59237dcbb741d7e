"""The memory of the whole process tree of `salesbot run` (the bot and every worker it
starts), through the heavy jobs and after idling (issue 30, part 6).

The bot runs as a child process over real HTTP against the fake Bot API with the default
settings (workers end after 3 idle minutes). A manager imports a 2,000-row CSV (the
general pool's two workers), draws a chart (the chart process) and sends 12 business-card
photos (the OCR worker). The tree is sampled every 50 ms throughout (the bot and all its
descendants, multiprocessing's resource tracker included); then nobody writes and the
tree is read every second until it is back under the target. Last, the workers' cold
start: a chart (pressed on the first /stats menu, so that nothing starts its process
before the press) and a card again, timed from the press or the photo to the answer.

Targets: peak under 700 MB, the OCR worker under 250 MB, back under 150 MB within 6
minutes of idling, a chart started cold under 1 s and a card under 3 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time

import psutil

from bench.process import running_bot
from bench.reminders import empty
from bot.process.transports.fakeapi import BotMessage, FakeBotApi
from storage.database import Database
from storage.migrate import upgrade
from tests.cards import held_out_cards
from tests.e2e.process import ADMIN
from tests.e2e.test_data_care_over_http import Person
from tests.harness import poll_until
from tests.sheets import customer_sheet

PEAK_MB, OCR_MB, IDLE_MB, IDLE_MINUTES = 700, 250, 150, 6
CHART_COLD_S, CARD_COLD_S = 1.0, 3.0
ROWS, CARDS = 2000, 12
SETTINGS = ('[reminders]\ndigest_hour = -1\nnudges_per_day = 0\n[backup]\nhour = -1\n'
            # The bot's stderr is a pipe read at the end: minutes of INFO lines filled it.
            '[logging]\nlevel = "WARNING"\n')


class Tree:
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0.0
        self.by_process: dict[int, float] = {}  # each process's own peak, MB

    def now(self) -> float:
        total = 0.0
        for process in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                resident = process.memory_info().rss / 2**20
                total += resident
                self.by_process[process.pid] = max(self.by_process.get(process.pid, 0.0),
                                                   resident)
        self.peak = max(self.peak, total)
        return total

    def workers(self) -> set[int]:
        return {child.pid for child in self.root.children(recursive=True)}

    async def sample(self) -> None:
        while True:
            self.now()
            await asyncio.sleep(0.05)


async def measure(url: str) -> dict[str, float]:
    async with running_bot(url, SETTINGS) as (api, pid):
        return await _use(api, Tree(pid))


async def _use(api: FakeBotApi, tree: Tree) -> dict[str, float]:
    alice = Person(api, ADMIN, "Alice")
    await alice.says("/start", "Welcome")
    figures = {"start": tree.now()}
    sampler = asyncio.ensure_future(tree.sample())
    try:
        await _import(api, alice)
        _say(f"imported: {tree.now():.0f} MB")
        menu = await _menu(alice)
        await _chart(alice, menu)
        _say(f"chart: {tree.now():.0f} MB")
        before = tree.workers()
        cards = held_out_cards()[:CARDS]
        for card in cards:
            await _card(api, alice, card.image)
        ocr = tree.workers() - before
        _say(f"cards: {tree.now():.0f} MB")
        figures |= {"after_work": tree.now(), "peak": tree.peak,
                    "ocr": max((tree.by_process.get(pid, 0.0) for pid in ocr), default=0.0)}
    finally:
        sampler.cancel()
    idle_from = time.monotonic()
    while (resident := tree.now()) >= IDLE_MB and (
            time.monotonic() - idle_from < IDLE_MINUTES * 60 + 60):
        await asyncio.sleep(1)
        _say(f"idle: {resident:.0f} MB")
    figures |= {"idle": resident, "idle_minutes": (time.monotonic() - idle_from) / 60}
    # Pressed on the first menu: /stats would start the chart process while the member
    # reads it, and its message would make Telegram hold the photo for the chat's pacing.
    figures["chart_cold"] = await _chart(alice, menu)
    _say(f"chart again: {figures['chart_cold']:.2f} s")
    figures["card_cold"] = await _card(api, alice, cards[0].image)
    return figures


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _import(api: FakeBotApi, alice: Person) -> None:
    before = len(alice.messages())
    sheet = customer_sheet(ROWS)
    api.user_sends_document(alice.person, "客户名单.csv", sheet.csv_bytes("utf-8-sig"),
                            "text/csv")
    card = await alice.sees("Columns", after=before, timeout=120)
    preview = await alice.presses(card, card.button_data("Preview"), "Preview of")
    await poll_until(lambda: "rows:" in preview.text, timeout=120)
    await alice.presses(preview, preview.button_data("Import"), "I will send")
    await alice.sees("✅ Import #1", timeout=300)


async def _menu(alice: Person) -> BotMessage:
    before = len(alice.messages())
    alice.api.user_sends(alice.person, "/stats")
    menu: BotMessage = await poll_until(lambda: next(
        (m for m in alice.messages()[before:] if "Customers by region" in m.button_labels),
        None))
    return menu


async def _chart(alice: Person, menu: BotMessage) -> float:
    """Seconds from the press to the photo."""
    before = len(alice.messages())
    started = time.monotonic()
    alice.api.user_presses(alice.person, menu, menu.button_data("Customers by region"))
    await poll_until(lambda: any(m.photo for m in alice.messages()[before:]), timeout=60)
    return time.monotonic() - started


async def _card(api: FakeBotApi, alice: Person, image: bytes) -> float:
    """Seconds from the photo to the draft."""
    before = len(alice.messages())
    started = time.monotonic()
    api.user_sends_photo(alice.person, image)
    draft: BotMessage = await alice.sees("is this right?", after=before, timeout=60)
    elapsed = time.monotonic() - started
    api.user_presses(alice.person, draft, draft.button_data("Cancel"))
    return elapsed


async def run(url: str, label: str) -> str:
    await upgrade(url)
    db = Database(url)
    try:
        await empty(db)
    finally:
        await db.dispose()
    f = await measure(url)

    def met(ok: bool) -> str:
        return "met" if ok else "MISSED"

    return "\n".join([
        f"### Memory of the whole process tree: {label}", "",
        f"`salesbot run` over HTTP with the default settings: a {ROWS:,}-row CSV imported, "
        f"a chart drawn, {CARDS} business-card photos read, then left alone; the bot and "
        "every process under it sampled every 50 ms (bench/footprint.py).", "",
        "| measure | result | target |", "|---|---|---|",
        f"| the tree at start (the bot alone) | {f['start']:.0f} MB | (reported) |",
        f"| the tree's peak through the import, the chart and the cards | {f['peak']:.0f} MB "
        f"| < {PEAK_MB} MB ({met(f['peak'] < PEAK_MB)}) |",
        f"| the OCR worker's peak | {f['ocr']:.0f} MB | < {OCR_MB} MB "
        f"({met(f['ocr'] < OCR_MB)}) |",
        f"| the tree when the work is done | {f['after_work']:.0f} MB | (reported) |",
        f"| the tree after idling | {f['idle']:.0f} MB after {f['idle_minutes']:.1f} min | "
        f"< {IDLE_MB} MB within {IDLE_MINUTES} min "
        f"({met(f['idle'] < IDLE_MB and f['idle_minutes'] <= IDLE_MINUTES)}) |",
        f"| a chart after the workers left (its process started cold) | "
        f"{f['chart_cold']:.2f} s | < {CHART_COLD_S:.0f} s "
        f"({met(f['chart_cold'] < CHART_COLD_S)}) |",
        f"| a card photo after the workers left (OCR started cold) | {f['card_cold']:.2f} s "
        f"| < {CARD_COLD_S:.0f} s ({met(f['card_cold'] < CARD_COLD_S)}) |",
    ])


if __name__ == "__main__":
    print(asyncio.run(run(sys.argv[1], "SQLite")))

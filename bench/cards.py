"""Business cards (issue 26): a card photo to a draft, through the bot's own path
(bot/media/businesscards.read_card: the OCR worker process started on the first photo),
on the development and held-out cards of tests/cards.py (eleven layout families, four
photo conditions).

Targets on the held-out cards: at least 95% right per field (name, phone, email,
company, title) on at least 60 cards; no value holding a label; the first photo, worker
start included, within 3 s and each later one within 1 s. Run in a fresh process, so that
the first photo starts the worker cold and the bot's own memory is its own.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections import Counter

import psutil

from bench.stats import percentile
from bot.media.businesscards import read_card
from bot.media.ocr import reader_pids
from tests.cards import FIELDS, Card, correct, dev_cards, held_out_cards, leaked_labels

TARGET_FIELDS = ("name", "phone", "email", "company", "title")


async def score(cards: list[Card], timings: list[float]) -> dict[str, object]:
    right: Counter[str] = Counter()
    misses: list[str] = []
    leaks: list[str] = []
    for card in cards:
        started = time.perf_counter()
        fields = await read_card(card.image, "CN")
        timings.append(time.perf_counter() - started)
        for field, ok in correct(fields, card.truth).items():
            right[field] += ok
            if not ok and field in TARGET_FIELDS:
                found = getattr(fields, field + "s" if field in ("phone", "email") else field)
                meant = getattr(card.truth, field + "s" if field in ("phone", "email")
                                else field)
                misses.append(f"{card.family}, {card.condition}: {field} {found!r} "
                              f"for {meant!r}")
        leaks += leaked_labels(fields, card)
    return {"cards": len(cards), "accuracy": {f: right[f] / len(cards) for f in FIELDS},
            "misses": misses, "leaks": leaks}


async def measure() -> dict[str, object]:
    held_out_set, development_set = held_out_cards(), dev_cards()  # drawn before: the
    bot_before = psutil.Process().memory_info().rss / 2**20  # bench's, not the bot's
    timings: list[float] = []
    held_out = await score(held_out_set, timings)
    development = await score(development_set, timings)
    worker = sum(psutil.Process(pid).memory_info().rss for pid in reader_pids()) / 2**20
    return {"first": timings[0], "median": statistics.median(timings[1:]),
            "p99": percentile(timings[1:], 99), "worker_mb": worker,
            "bot_before_mb": bot_before,
            "bot_after_mb": psutil.Process().memory_info().rss / 2**20,
            "development": development, "held_out": held_out}


def run() -> str:
    out = subprocess.run([sys.executable, "-m", "bench.cards"], check=True,
                         capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    first, later = figures["first"], figures["p99"]
    held, dev = figures["held_out"], figures["development"]
    lines = ["### Business cards", "",
             "Cards drawn by tests/cards.py in eleven layout families (left column, centred, "
             "name and title on one line, company below, band, two columns, vertical "
             "Chinese, logo and QR, several phones/emails/fax, brand above, right-aligned), "
             "labels with a colon, a space, glued or none, photographed flat, rotated up to "
             "5°, blurred, unevenly lit, or rotated and blurred. The held-out cards come from "
             "other pools (names, companies, titles, label words, phone spellings, serif "
             "fonts) and another seed; they are read through `read_card` in a fresh "
             "process, before the development cards.", "",
             f"| field | held-out ({held['cards']} cards) | development ({dev['cards']} "
             "cards) | target (held-out) |", "|---|---|---|---|"]
    for field in FIELDS:
        share = held["accuracy"][field]
        target = (f"≥ 95% ({'met' if share >= 0.95 else 'MISSED'})"
                  if field in TARGET_FIELDS else "(reported)")
        lines.append(f"| {field} | {share:.1%} | {dev['accuracy'][field]:.1%} | {target} |")
    leaks = held["leaks"] + dev["leaks"]
    lines += [f"| a label inside a value | {len(held['leaks'])} | {len(dev['leaks'])} | "
              f"none ({'met' if not leaks else 'MISSED'}) |", "",
              "| measure | result | target |", "|---|---|---|",
              f"| first photo to draft, the OCR worker started cold | {first:.2f} s | ≤ 3 s "
              f"({'met' if first <= 3 else 'MISSED'}) |",
              f"| each later photo | median {figures['median']:.2f} s, p99 {later:.2f} s | "
              f"≤ 1 s ({'met' if later <= 1 else 'MISSED'}) |",
              f"| memory of the OCR worker process | {figures['worker_mb']:.0f} MB | "
              "(reported) |",
              f"| memory of the bot process before / after the cards | "
              f"{figures['bot_before_mb']:.0f} / {figures['bot_after_mb']:.0f} MB | "
              "unchanged by OCR |", ""]
    if held["misses"] or leaks:
        lines.append("What the held-out cards still get wrong:")
        lines += [f"- {miss}" for miss in held["misses"] + held["leaks"]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure())))

"""One-message logs as a whole (issue "Understand what it has never seen"): who, what kind
of contact, when it happened, when to follow up, and for a purchase the amount, quantity
and product, on the generated sentences of tests/log_sentences.py: a development set and
a held-out set with other mentions, verbs, frames and seed.

Target: at least 95% of held-out sentences fully right. The customer is read against a
SQLite database holding the sentences' customers, as the chat reads it.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from pathlib import Path

from storage import users
from storage.database import Database
from storage.migrate import upgrade
from storage.users import Profile, Visibility, actor_for
from tests.log_sentences import Sentence, dev_set, held_out_set, score, seed_roster

TARGET = 0.95
# How the held-out figure came to be, seed by seed (the seeds are spent in
# tests/log_sentences.py): a miss is mended by its family, then a fresh seed is drawn.
HISTORY = (
    "Service requests joined the set on 2026-12-06 (two sentences in eight). First held-out "
    "draw (seed 60611): 295/320 whole; 17 of the 25 misses were the generator's (a frame "
    "without an urgency word carrying a random priority), the rest \"尽早处理\" read as "
    "tomorrow 09:00 (早 alone taken for the morning: now only where it is not part of "
    "尽早/提早/早点/晚点…). Second draw (seed 24917, with more problem wordings): 308/320 = "
    "96.3% whole, request kinds 70/80: 闪退, 不制冷, \"send the RX2 back\" and 想把货退了 "
    "were not known; mended as families (symptoms 不+verb, software failures, "
    "\"send/take … back\", 把…退了). The figure above is a third draw (seed 70423). The "
    "pools and the rules have one author.")
SHOWN_MISSES = 12


async def measure(sets: dict[str, list[Sentence]]
                  ) -> dict[str, tuple[Counter[str], Counter[str], int, list[tuple[Sentence,
                                                                                  list[str]]]]]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'logs.db'}"
        await upgrade(url)
        database = Database(url)
        try:
            async with database.unit_of_work() as session:
                member = await users.admit(session, Profile(1, "Bench"), admin_ids={1},
                                           timezone="Asia/Shanghai")
                assert member is not None
                actor = actor_for(member, Visibility.TEAM)
                await seed_roster(session, actor)
            out = {}
            for name, sentences in sets.items():
                right: Counter[str] = Counter()
                total: Counter[str] = Counter()
                whole, misses = 0, []
                async with database.unit_of_work() as session:
                    for sentence in sentences:
                        fields = await score(session, actor, sentence)
                        for field, ok in fields.items():
                            total[field] += 1
                            right[field] += ok
                        wrong = [field for field, ok in fields.items() if not ok]
                        whole += not wrong
                        if wrong:
                            misses.append((sentence, wrong))
                out[name] = (right, total, whole, misses)
            return out
        finally:
            await database.dispose()


async def run() -> str:
    dev, held_out = dev_set(), held_out_set()
    figures = await measure({"dev": dev, "held_out": held_out})
    lines = ["### One-message logs, whole sentences", "",
             f"{len(dev)} development and {len(held_out)} held-out sentences "
             "(tests/log_sentences.py: calls, visits, messages and emails with when they "
             "happened and a follow-up, purchases, purchases with a payment plan, "
             "payments received, and service requests with their kind, priority and due "
             "time; half Chinese, half English, each at a random \"now\"); the "
             "held-out set names customers by surname and title or in pinyin, with other "
             "verbs, frames, plan wordings (30% upfront, rest within N days) and seed.", "",
             "| field | development | held-out |", "|---|---|---|"]
    fields = list(figures["held_out"][1])
    for field in fields:
        cells = [f"{figures[s][0][field]}/{figures[s][1][field]} = "
                 f"{figures[s][0][field] / figures[s][1][field]:.1%}" for s in ("dev", "held_out")]
        lines.append(f"| {field} | {cells[0]} | {cells[1]} |")
    whole = {s: figures[s][2] / len(dev if s == "dev" else held_out) for s in figures}
    lines.append(f"| **whole sentence right** | {whole['dev']:.1%} | **{whole['held_out']:.1%}** "
                 f"(target ≥ 95%: {'met' if whole['held_out'] >= TARGET else 'MISSED'}) |")
    lines += ["", HISTORY]
    misses = figures["held_out"][3]
    if misses:
        lines += ["", f"Held-out misses (first {min(SHOWN_MISSES, len(misses))} of "
                  f"{len(misses)}):", ""]
        lines += [f"- `{s.text}` said {s.now:%a %Y-%m-%d %H:%M}: {', '.join(wrong)} wrong"
                  for s, wrong in misses[:SHOWN_MISSES]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(asyncio.run(run()))

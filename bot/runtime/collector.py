"""Python's cycle collector, set for a bot that runs for weeks and now and then writes
100,000 rows.

Measured in the 100,000-row import on PostgreSQL (bench/imports.py, the bot's own
process): the collector took 5.7 s of the bot's 42 s, 4.4 s of it in 47 full collections
that each walked everything the bot had loaded (the libraries' 156,000 objects) besides
the rows in hand. Frozen once the bot is built, those are left out of every later
collection (2.8 s); a youngest generation of 10,000 objects instead of Python's 700 is
collected a fourteenth as often (1.8 s, and the import 42.3 -> 38.4 s). The workers'
jobs run with the collector paused instead (bot/runtime/workers.py).
"""

from __future__ import annotations

import gc

YOUNGEST = 10_000


def settle() -> None:
    """Once the bot is built: what it has loaded so far is kept out of every collection,
    and the youngest objects are collected less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST, middle, oldest)

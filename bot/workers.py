"""A pool of worker processes for CPU-heavy work (reading a sheet, checking its rows,
writing a workbook), so that the event loop keeps answering everybody meanwhile.

Processes, not threads: pure-Python work holds the GIL, and a thread parsing 100,000 rows
would slow every other member's answer. Started on first use ("spawn": a fork of a
process running an event loop and threads is unsafe), two workers on this two-core
target; `run` sends a picklable function and its arguments to one of them.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

WORKERS = 2
_T = TypeVar("_T")
_pool: ProcessPoolExecutor | None = None


def pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_follow_parent, initargs=(os.getpid(),))
        atexit.register(shutdown)
    return _pool


def _follow_parent(parent: int) -> None:
    """In a worker: exit when the bot is gone. A bot killed with SIGKILL runs no shutdown,
    and its workers would otherwise live on holding memory (and its output pipes)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="follow-parent").start()


async def run(function: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(pool(), function, *args)


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None

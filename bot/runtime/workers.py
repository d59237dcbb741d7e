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
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

WORKERS = 2
_T = TypeVar("_T")


class Pool:
    """Worker processes started on first use, gone with the bot."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executor: ProcessPoolExecutor | None = None
        _POOLS.append(self)

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.size, mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent, initargs=(os.getpid(),))
            atexit.register(self.shutdown)
        return self._executor

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """Runs in a worker; if a worker died (the system killed it for memory, say), the
        pool is broken for good, so it is replaced and the call made once more."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor(), function, *args)
        except BrokenProcessPool:
            self.shutdown()
            return await loop.run_in_executor(self.executor(), function, *args)

    def pids(self) -> list[int]:
        """The worker processes' ids, once started."""
        running = getattr(self._executor, "_processes", None) or {}
        return list(running)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def end_now(self) -> None:
        """Ends the workers with their work unfinished. At exit Python joins a pool's
        thread, which waits for the work in hand: a bot stopped 30 s after its start waited
        for the customer-value job over 100,000 customers and outlived the 10 s a stop
        may take. What is cut short is redone: an import resumes, the value job runs again,
        a chart is asked for again."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self.shutdown()


def _follow_parent(parent: int) -> None:
    """In a worker: exit when the bot is gone. A bot killed with SIGKILL runs no shutdown,
    and its workers would otherwise live on holding memory (and its output pipes)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="follow-parent").start()


_POOLS: list[Pool] = []
_general = Pool(WORKERS)


def pool() -> ProcessPoolExecutor:
    return _general.executor()


async def run(function: Callable[..., _T], *args: Any) -> _T:
    return await _general.run(function, *args)


def shutdown() -> None:
    _general.shutdown()


def pids() -> list[int]:
    """Every pool's running worker processes."""
    return [pid for each in _POOLS for pid in each.pids()]


def end_all() -> None:
    """Every pool's workers (general, OCR, charts) ended now: the bot is stopping."""
    for each in _POOLS:
        each.end_now()

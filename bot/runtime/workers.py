"""Pools of worker processes for CPU-heavy work (reading a sheet, checking its rows,
writing a workbook; the charts and OCR keep pools of their own), so that the event loop
keeps answering everybody meanwhile.

Processes, not threads: pure-Python work holds the GIL, and a thread parsing 100,000 rows
would slow every other member's answer. Started on first use ("spawn": a fork of a
process running an event loop and threads is unsafe), two workers on this two-core
target; `run` sends a picklable function and its arguments to one of them.

A pool ends its processes when it has had no work for `workers.idle_minutes` (3 by
default): kept for good they held what their last job grew to (after a chart, a dozen
card photos and one sheet the whole tree stayed at 929 MB beside a bot of 96 MB; now it is
back at 137 MB 3.1 minutes after the work). Started again, a pool costs its first call
the start: 0.7 s for a chart, 1.2 s for a card photo, both inside their targets
(bench/footprint.py, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import gc
import logging
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
IDLE_SECONDS = 180.0
_T = TypeVar("_T")
log = logging.getLogger(__name__)


class Pool:
    """Worker processes started on first use, ended when idle, gone with the bot."""

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name
        self._executor: ProcessPoolExecutor | None = None
        self._busy = 0
        self._retire: asyncio.TimerHandle | None = None
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
        self._working()
        try:
            try:
                return await loop.run_in_executor(self.executor(), _uncollected, function,
                                                  *args)
            except BrokenProcessPool:
                self.shutdown()
                return await loop.run_in_executor(self.executor(), _uncollected, function,
                                                  *args)
        finally:
            self._done(loop)

    def warm(self, function: Callable[[], object]) -> None:
        """Starts the processes and has one of them load what `function` imports, in the
        background; left unused, the pool ends after its idle time like any other."""
        loop = asyncio.get_running_loop()
        self._working()
        future = self.executor().submit(function)

        def done(_: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: the bot stopped
                loop.call_soon_threadsafe(self._done, loop)

        future.add_done_callback(done)

    def _working(self) -> None:
        self._busy += 1
        if self._retire is not None:
            self._retire.cancel()
            self._retire = None

    def _done(self, loop: asyncio.AbstractEventLoop) -> None:
        self._busy -= 1
        if self._busy == 0 and self._executor is not None and not loop.is_closed():
            self._retire = loop.call_later(IDLE_SECONDS, self._end_if_idle)

    def _end_if_idle(self) -> None:
        self._retire = None
        if self._busy == 0 and self._executor is not None:
            log.info("%s workers idle for %.0f s: ended (pids %s)", self.name, IDLE_SECONDS,
                     self.pids())
            self.shutdown()
            # The bot's own share of the work (an uploaded sheet, its preview, a chart's
            # data) is garbage by now: freed, and handed back to the system.
            gc.collect()
            return_freed_memory()

    def pids(self) -> list[int]:
        """The worker processes' ids, once started."""
        running = getattr(self._executor, "_processes", None) or {}
        return list(running)

    def shutdown(self) -> None:
        """Lets the processes finish what they hold and exit (a call made meanwhile starts
        new ones)."""
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


def _uncollected(function: Callable[..., _T], *args: Any) -> _T:
    """In a worker: the job run with Python's cycle collector paused. A job builds large
    structures without cycles (a share of the export as rows of cells, a part of a sheet
    checked), and the collector walked all of them again each time they grew: the
    export's two shares took 2.1 s with it and 1.45 s without, its workbook 1.8 / 1.5 s
    (100,000 customers, PostgreSQL). What cycles a job leaves are collected once the
    collector runs again, at the next allocations."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if collecting:
            gc.enable()


_POOLS: list[Pool] = []
_general = Pool(WORKERS, "general")


def return_freed_memory() -> None:
    """glibc keeps what a process freed in its heap for later (an OCR worker stayed at
    490 MB after twelve cards): `malloc_trim` gives it back."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)


def map_blocks_from(size: int) -> None:
    """glibc serves every block of `size` bytes or more by a mapping of its own, given back
    to the system when freed. By default it raises that threshold each time such a block
    is freed (up to 32 MB), so that later large blocks come from the heap, where what is
    freed stays and fragments: the OCR worker's tensors (bot/media/ocr.py)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its own way
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, size)


def end_after_idle(seconds: float) -> None:
    """Every pool ends its processes after this long without work (the setting)."""
    global IDLE_SECONDS
    IDLE_SECONDS = seconds


def alive() -> dict[str, list[int]]:
    """Each pool's running processes, by its name (for /healthz and /metrics)."""
    return {each.name: each.pids() for each in _POOLS}


def pool() -> ProcessPoolExecutor:
    return _general.executor()


async def run(function: Callable[..., _T], *args: Any) -> _T:
    return await _general.run(function, *args)


def warm(function: Callable[[], object]) -> None:
    """`function` run in a general worker in the background (a second one is started
    for it while the first is busy), its result dropped."""
    _general.warm(function)


def shutdown() -> None:
    _general.shutdown()


def pids() -> list[int]:
    """Every pool's running worker processes."""
    return [pid for each in _POOLS for pid in each.pids()]


def end_all() -> None:
    """Every pool's workers (general, OCR, charts) ended now: the bot is stopping."""
    for each in _POOLS:
        each.end_now()

"""A worker's job runs with Python's cycle collector paused (bot/runtime/workers.py), and
the worker has it back once the job is done, whether the job ended well or not."""

from __future__ import annotations

import gc

import pytest

from bot.runtime import workers


async def test_a_job_runs_in_a_worker_without_the_cycle_collector() -> None:
    try:
        assert await workers.run(gc.isenabled) is False
    finally:
        workers.shutdown()


def test_the_collector_comes_back_after_a_job_even_one_that_failed() -> None:
    assert workers._uncollected(gc.isenabled) is False
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        workers._uncollected(divmod, 1, 0)
    assert gc.isenabled()

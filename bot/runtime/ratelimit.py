"""Per-member request limit: a sliding window in memory, one instance per running bot."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RequestLimiter:
    """At most `per_minute` requests (messages and button presses) per member per 60 s.

    In memory on purpose: a limit per instance is enough to stop a runaway client or a
    stuck finger; it is not a quota.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def allow(self, member: int) -> bool:
        now = self.clock()
        window = self._seen.setdefault(member, deque())
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True

    def wait_seconds(self, member: int) -> int:
        window = self._seen.get(member)
        return max(1, int(60 - (self.clock() - window[0])) + 1) if window else 1

    def should_warn(self, member: int) -> bool:
        """Tell the member once per window, not once per refused update."""
        now = self.clock()
        if now - self._warned.get(member, -60.0) < 60:
            return False
        self._warned[member] = now
        return True

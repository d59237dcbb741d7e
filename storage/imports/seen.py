"""What an import remembers of the rows it has already classified, in a few bytes a row.

The classifier (storage/imports/preview.py) must know, for every row, whether an earlier
row of the same file had the same phone, email or name at the same company (and which
row), and whether a record was created by this very import. Held as Python dicts and
sets of ints that was about 100 bytes a key: 30 MB of the bot at 100,000 rows, about 300 MB
at 1,000,000 (2.7 million keys). Here the keys are 64-bit hashes in sorted numpy arrays
(12 bytes a key with its row), kept as a few levels that are merged as they grow, as a
log-structured merge tree does, so that adding a part of 2,000 rows never re-sorts
everything; a part's keys are looked up in all levels at once (`np.searchsorted`). The
records an import created are ranges of ids: they are reserved in runs (storage/imports/
writer.py `reserve_ids`), so 1,000,000 of them are a few hundred ranges.

Up to DICT_KEYS keys (a sheet of about 18,000 rows) they stay a dict of about 5 MB:
numpy is 19 MB of a process once loaded, and the bot that had imported 2,000 rows idled
at 146 MB with it, where the target is 150 (bench/footprint.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

DICT_KEYS = 50_000


class FirstRows:
    """The first row each key (a 64-bit hash) was seen in: in a dict while there are few,
    then each key in one level."""

    def __init__(self) -> None:
        self._few: dict[int, int] | None = {}
        self._levels: list[tuple[Any, Any]] = []  # (sorted keys, their rows)

    def __len__(self) -> int:
        if self._few is not None:
            return len(self._few)
        return sum(len(keys) for keys, _ in self._levels)

    def find(self, keys: Iterable[int]) -> dict[int, int]:
        """Those of `keys` seen before, with their first rows."""
        if self._few is not None:
            few = self._few
            return {key: few[key] for key in keys if key in few}
        import numpy as np

        wanted = np.fromiter(keys, dtype=np.int64)
        found: dict[int, int] = {}
        if not len(wanted):
            return found
        for level, rows in self._levels:
            at = np.searchsorted(level, wanted).clip(max=len(level) - 1)
            hit = level[at] == wanted
            found.update(zip(wanted[hit].tolist(), rows[at[hit]].tolist(), strict=True))
        return found

    def add(self, first_rows: dict[int, int]) -> None:
        """Keys not seen before (`find` said so), with the rows they were first seen in."""
        if self._few is not None:
            self._few.update(first_rows)
            if len(self._few) <= DICT_KEYS:
                return
            first_rows, self._few = self._few, None
        import numpy as np

        if not first_rows:
            return
        keys = np.fromiter(first_rows.keys(), dtype=np.int64, count=len(first_rows))
        rows = np.fromiter(first_rows.values(), dtype=np.int32, count=len(first_rows))
        order = np.argsort(keys)
        self._levels.append((keys[order], rows[order]))
        while len(self._levels) > 1 and len(self._levels[-2][0]) <= 2 * len(self._levels[-1][0]):
            (upper, upper_rows), (lower, lower_rows) = self._levels.pop(), self._levels.pop()
            # Merged, not sorted again: the sort's index and copies made the last merge of
            # 2.7 million keys hold about 115 MB at once (by the arrays' sizes), this 75.
            at = np.searchsorted(lower, upper)
            self._levels.append((np.insert(lower, at, upper), np.insert(lower_rows, at,
                                                                        upper_rows)))


class IdRanges:
    """A set of ids held as sorted, disjoint runs [start, stop)."""

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._starts: list[int] = []
        self._stops: list[int] = []
        self.update(sorted(ids))

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        at = bisect.bisect_right(self._starts, value) - 1
        return at >= 0 and value < self._stops[at]

    def __len__(self) -> int:
        return sum(stop - start for start, stop in zip(self._starts, self._stops, strict=True))

    def runs(self) -> int:
        return len(self._starts)

    def update(self, ids: Iterable[int]) -> None:
        for value in ids:
            self.add(value)

    def add(self, value: int) -> None:
        at = bisect.bisect_right(self._starts, value) - 1
        if at >= 0 and value < self._stops[at]:
            return
        if at >= 0 and self._stops[at] == value:
            self._stops[at] += 1
            if at + 1 < len(self._starts) and self._starts[at + 1] == value + 1:
                self._stops[at] = self._stops.pop(at + 1)
                self._starts.pop(at + 1)
            return
        if at + 1 < len(self._starts) and self._starts[at + 1] == value + 1:
            self._starts[at + 1] = value
            return
        self._starts.insert(at + 1, value)
        self._stops.insert(at + 1, value + 1)

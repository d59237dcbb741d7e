"""The import's compact memory of the rows it has seen (storage/imports/seen.py) answers
as the dict and set it replaced would, part after part."""

from __future__ import annotations

import random

import pytest

from storage.imports import seen
from storage.imports.seen import FirstRows, IdRanges


@pytest.mark.parametrize("dict_keys", [seen.DICT_KEYS, 0, 700])  # a dict; levels; both
def test_first_rows_agree_with_a_dict_across_many_parts(dict_keys: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seen, "DICT_KEYS", dict_keys)
    rng = random.Random(7)
    first_rows, reference = FirstRows(), {}
    row = 0
    for _ in range(120):
        part = [rng.getrandbits(64) - 2**63 if rng.random() < 0.7 else rng.randrange(3000)
                for _ in range(rng.randrange(0, 400))]
        known = first_rows.find(part)
        assert known == {k: reference[k] for k in part if k in reference}
        new: dict[int, int] = {}
        for key in part:
            row += 1
            if key not in known:
                new.setdefault(key, row)
                reference.setdefault(key, row)
        first_rows.add(new)
    assert len(first_rows) == len(reference)
    assert first_rows.find(reference) == reference
    assert first_rows.find([]) == {}


def test_id_ranges_agree_with_a_set() -> None:
    rng = random.Random(3)
    ids = IdRanges([5, 6, 7, 20])
    reference = {5, 6, 7, 20}
    start = 100
    for _ in range(300):  # runs as reserve_ids gives them, and strays between them
        count = rng.randrange(1, 50)
        run = list(range(start, start + count))
        ids.update(run)
        reference.update(run)
        start += count + (rng.randrange(1, 5) if rng.random() < 0.1 else 0)
        stray = rng.randrange(0, start)
        ids.add(stray)
        reference.add(stray)
    assert all((n in ids) == (n in reference) for n in range(-5, start + 5))
    assert len(ids) == len(reference)
    assert ids.runs() < 400
    assert "7" not in ids

"""pypinyin's dictionaries, made small: the few phrases whose pinyin is not their
characters' usual readings, and the characters' readings in arrays.

pypinyin reads a character by its first (most common) reading unless a phrase it knows
says otherwise (银行 is yin hang, not yin xing). Its phrase dictionary holds 47,111
phrases and costs the process 43 MB; for 43,674 of them the phrase says nothing the
single characters do not, once tones are dropped, as search does. The other 3,543 (3,437
that read differently, and 106 that keep a longer phrase from being cut elsewhere) are
`pinyin_phrases.json` (170 KB), which storage/search/names.py gives pypinyin instead of its own
dictionary. `python -m storage.search.pinyin_table` writes it again from the installed
pypinyin; a test checks that the file matches it and that every one of pypinyin's
phrases reads the same either way.

Its single characters' readings (41,923, `pypinyin.pinyin_dict`) cost the process 11 MB
when imported as the Python module they ship as (a dict literal of ints and strings);
`pinyin_chars.txt` (the same readings, one line per run of consecutive characters) loads
into one array of reading numbers indexed by code point and the 8,598 distinct readings:
2 MB. storage/search/names.py installs it as that module before pypinyin
is imported; a test checks that it holds exactly pypinyin's readings.
"""

from __future__ import annotations

import json
import sys
import types
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("pinyin_phrases.json")
CHARS = Path(__file__).with_name("pinyin_chars.txt")
_NONE = 0xFFFF  # no reading: the character is not in pypinyin's dictionary
_GAP = array("H", [_NONE]).tobytes()


class CharReadings(Mapping[int, str]):
    """A character's readings by its code point, as pypinyin's `pinyin_dict` answers: an
    array indexed by the code point itself (400 KB) holds each one's reading number."""

    def __init__(self, numbers: array[int], readings: list[str]) -> None:
        self._numbers, self._readings = numbers, readings

    def __getitem__(self, code: int) -> str:
        number = self._numbers[code] if 0 <= code < len(self._numbers) else _NONE
        if number == _NONE:
            raise KeyError(code)
        return self._readings[number]

    def __contains__(self, code: object) -> bool:
        return (isinstance(code, int) and 0 <= code < len(self._numbers)
                and self._numbers[code] != _NONE)

    def __iter__(self) -> Iterator[int]:
        return (code for code, number in enumerate(self._numbers) if number != _NONE)

    def __len__(self) -> int:
        return len(self._numbers) - self._numbers.count(_NONE)


def load_chars() -> CharReadings:
    """Read a line at a time: the file's 42,000 readings held as strings all at once cost
    6 MB of the process for good, though freed at once."""
    numbers = array("H")
    distinct: dict[str, int] = {}
    with CHARS.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            start, *readings = line.split()
            numbers.frombytes(_GAP * (int(start, 16) - len(numbers)))
            numbers.extend(distinct.setdefault(reading, len(distinct)) for reading in readings)
    return CharReadings(numbers, list(distinct))


def chars_module() -> types.ModuleType:
    """What `import pypinyin.pinyin_dict` should find: our arrays, not the 11 MB module."""
    module = types.ModuleType("pypinyin.pinyin_dict")
    module.pinyin_dict = load_chars()  # type: ignore[attr-defined]
    return module


def chars_as_text(readings: Mapping[int, str]) -> str:
    """One line per run of consecutive characters: the first one's code point in hex,
    then each one's readings (pypinyin's own spelling: toned, comma-separated)."""
    lines = ["# pypinyin's readings of single characters (python -m storage.search.pinyin_table)"]
    run: list[str] = []
    previous = None
    for code in sorted(readings):
        if previous is None or code != previous + 1:
            if run:
                lines.append(" ".join(run))
            run = [f"{code:x}"]
        run.append(readings[code])
        previous = code
    lines.append(" ".join(run))
    return "\n".join(lines) + "\n"


def load() -> dict[str, list[list[str]]]:
    table: dict[str, list[list[str]]] = json.loads(TABLE.read_text(encoding="utf-8"))
    return table


def use(phrases: dict[str, list[list[str]]], prefixes: Any,
        table: dict[str, list[list[str]]]) -> None:
    """Makes `table` pypinyin's phrase dictionary, and its words the only ones its word
    cutter knows (retraining only adds: the words of a dictionary loaded before would
    still cut 一块石头落了地 where the full dictionary does not)."""
    phrases.clear()
    phrases.update(table)
    prefixes._set.clear()
    prefixes.train(table.keys())


def distinct_phrases() -> dict[str, list[list[str]]]:
    """From pypinyin's full dictionaries: the phrases whose toneless reading differs from
    their characters' first readings, and then every phrase that would read differently
    without itself in the table (its words would be cut elsewhere: 一朝天子一朝臣), until
    all 47,111 read as with the full dictionary. Run in a process of its own (python -m
    storage.search.pinyin_table): it swaps pypinyin's dictionary back and forth."""
    from pypinyin import Style, constants, lazy_pinyin
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.seg import mmseg
    from pypinyin.style import convert

    def toneless(reading: str) -> str:
        return str(convert(reading, Style.NORMAL, strict=True))

    def readings(dictionary: dict[str, list[list[str]]]) -> dict[str, list[str]]:
        use(constants.PHRASES_DICT, mmseg.p_set, dictionary)
        return {p: lazy_pinyin(p, style=Style.NORMAL) for p in phrases_dict}

    distinct = {}
    for phrase, reading in phrases_dict.items():
        usual = [toneless(pinyin_dict[ord(c)].split(",")[0]) if ord(c) in pinyin_dict else c
                 for c in phrase]
        if [toneless(r[0]) for r in reading] != usual:
            distinct[phrase] = reading
    full = readings(dict(phrases_dict))
    while True:
        ours = readings(distinct)
        differing = [p for p in phrases_dict if ours[p] != full[p]]
        if not differing:
            return distinct
        distinct.update({p: phrases_dict[p] for p in differing})


def as_text(table: dict[str, list[list[str]]]) -> str:
    """One phrase a line, so that a new pypinyin's changes read as a short diff."""
    lines = [json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False)
             for k, v in sorted(table.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _installed_chars() -> dict[int, str]:
    from pypinyin.pinyin_dict import pinyin_dict

    assert isinstance(pinyin_dict, dict), "run in a process of its own"
    return pinyin_dict


if __name__ == "__main__":
    if "--print" in sys.argv:
        sys.stdout.write(as_text(distinct_phrases()))
    elif "--print-chars" in sys.argv:
        sys.stdout.write(chars_as_text(_installed_chars()))
    elif "--check-chars" in sys.argv:
        # Every reading the installed pypinyin has, read back from pinyin_chars.txt.
        installed, ours = _installed_chars(), load_chars()
        assert len(ours) == len(installed) and all(
            ours[code] == reading for code, reading in installed.items())
    else:
        TABLE.write_text(as_text(distinct_phrases()), encoding="utf-8")
        CHARS.write_text(chars_as_text(_installed_chars()), encoding="utf-8")

"""The few phrases whose pinyin is not their characters' usual readings, for pypinyin.

pypinyin reads a character by its first (most common) reading unless a phrase it knows
says otherwise (银行 is yin hang, not yin xing). Its phrase dictionary holds 47,111
phrases and costs the process 43 MB; for 43,674 of them the phrase says nothing the
single characters do not, once tones are dropped, as search does. The other 3,543 (3,437
that read differently, and 106 that keep a longer phrase from being cut elsewhere) are
`pinyin_phrases.json` (170 KB), which storage/names.py gives pypinyin instead of its own
dictionary. `python -m storage.pinyin_table` writes it again from the installed
pypinyin; a test checks that the file matches it and that every one of pypinyin's
phrases reads the same either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("pinyin_phrases.json")


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
    storage.pinyin_table): it swaps pypinyin's dictionary back and forth."""
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


if __name__ == "__main__":
    made = as_text(distinct_phrases())
    if "--print" in sys.argv:
        sys.stdout.write(made)
    else:
        TABLE.write_text(made, encoding="utf-8")

"""The few phrases whose pinyin is not their characters' usual readings, for pypinyin.

pypinyin reads a character by its first (most common) reading unless a phrase it knows
says otherwise (银行 is yin hang, not yin xing). Its phrase dictionary holds 47,111
phrases and costs the process 43 MB; for 43,674 of them the phrase says nothing the
single characters do not, once tones are dropped, as search does. The other 3,437 are
`pinyin_phrases.json` (100 KB), which storage/names.py gives pypinyin instead of its own
dictionary. `python -m storage.pinyin_table` writes it again from the installed
pypinyin; a test checks that the file matches it and that every one of pypinyin's
phrases reads the same either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TABLE = Path(__file__).with_name("pinyin_phrases.json")


def load() -> dict[str, list[list[str]]]:
    table: dict[str, list[list[str]]] = json.loads(TABLE.read_text(encoding="utf-8"))
    return table


def distinct_phrases() -> dict[str, list[list[str]]]:
    """From pypinyin's full dictionaries (read directly, whatever this process loaded):
    the phrases whose toneless reading differs from their characters' first readings."""
    from pypinyin import Style
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    def toneless(reading: str) -> str:
        return str(convert(reading, Style.NORMAL, strict=True))

    distinct = {}
    for phrase, readings in phrases_dict.items():
        usual = [toneless(pinyin_dict[ord(c)].split(",")[0]) if ord(c) in pinyin_dict else c
                 for c in phrase]
        if [toneless(r[0]) for r in readings] != usual:
            distinct[phrase] = readings
    return distinct


def as_text(table: dict[str, list[list[str]]]) -> str:
    """One phrase a line, so that a new pypinyin's changes read as a short diff."""
    lines = [json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False)
             for k, v in sorted(table.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    TABLE.write_text(as_text(distinct_phrases()), encoding="utf-8")
    sys.exit(0)

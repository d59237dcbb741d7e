"""pypinyin with our 3,437 phrases reads as it does with its 47,111: checked against the
full dictionary in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pypinyin import Style, lazy_pinyin
from pypinyin.phrases_dict import phrases_dict

from bench.__main__ import fake_customers
from storage import pinyin_table

SENTENCE_SAMPLE = ["今天和王小明在银行见面，行长说重庆的项目下周五签",
                   "曾经的长孙无忌和单雄信一起去了朝阳区", "音乐会的乐队在重庆重新排练"]


def texts() -> list[str]:
    return (sorted(phrases_dict) + [c.name for c in fake_customers(2000)]
            + [str(c.company) for c in fake_customers(200)] + SENTENCE_SAMPLE)


def test_the_table_is_what_the_installed_pypinyin_gives() -> None:
    assert pinyin_table.TABLE.read_text(encoding="utf-8") == pinyin_table.as_text(
        pinyin_table.distinct_phrases())


def test_every_phrase_reads_as_with_the_full_dictionary() -> None:
    ours = [lazy_pinyin(t, style=Style.NORMAL, errors="ignore") for t in texts()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    full = json.loads(subprocess.run(
        [sys.executable, "-c",
         "import json, sys\n"
         "from pypinyin import Style, lazy_pinyin\n"
         "from tests.unit.test_pinyin_table import texts\n"
         "import pypinyin.constants as c\n"
         "assert len(c.PHRASES_DICT) > 40000\n"
         "print(json.dumps([lazy_pinyin(t, style=Style.NORMAL, errors='ignore') "
         "for t in texts()]))\n"],
        env=env, capture_output=True, text=True, check=True, timeout=120).stdout)
    differing = [t for t, a, b in zip(texts(), ours, full, strict=True) if a != b]
    assert differing == []

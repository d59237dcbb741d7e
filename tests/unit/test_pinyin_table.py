"""pypinyin with our 3,543 phrases reads as it does with its 47,111: checked against the
full dictionary in a process of its own."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys

from pypinyin import Style, constants, lazy_pinyin
from pypinyin.phrases_dict import phrases_dict
from pypinyin.seg import mmseg

from bench.__main__ import fake_customers
from storage.search import names, pinyin_table

SENTENCE_SAMPLE = ["今天和王小明在银行见面，行长说重庆的项目下周五签",
                   "曾经的长孙无忌和单雄信一起去了朝阳区", "音乐会的乐队在重庆重新排练"]


def texts() -> list[str]:
    return (sorted(phrases_dict) + [c.name for c in fake_customers(2000)]
            + [str(c.company) for c in fake_customers(200)] + SENTENCE_SAMPLE)


def test_the_table_is_what_the_installed_pypinyin_gives() -> None:
    made = subprocess.run([sys.executable, "-m", "storage.search.pinyin_table", "--print"],
                          capture_output=True, text=True, check=True, timeout=300).stdout
    assert made == pinyin_table.TABLE.read_text(encoding="utf-8")


def test_every_phrase_reads_as_with_the_full_dictionary() -> None:
    assert len(constants.PHRASES_DICT) == len(pinyin_table.load())  # ours, in this process
    asked = texts()
    ours = [lazy_pinyin(t, style=Style.NORMAL, errors="ignore") for t in asked]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    full = json.loads(subprocess.run(
        [sys.executable, "-c",
         "import json, sys\n"
         "from pypinyin import Style, constants, lazy_pinyin\n"
         "assert len(constants.PHRASES_DICT) > 40000\n"
         "print(json.dumps([lazy_pinyin(t, style=Style.NORMAL, errors='ignore') "
         "for t in json.load(sys.stdin)]))\n"],
        input=json.dumps(asked), env=env, capture_output=True, text=True, check=True,
        timeout=120).stdout)
    differing = [t for t, a, b in zip(asked, ours, full, strict=True) if a != b]
    assert differing == []


def test_the_characters_readings_are_the_installed_pypinyins() -> None:
    """pinyin_chars.txt is what the installed pypinyin gives, reads back as each of its
    41,923 readings (checked beside pypinyin's own module, in a process of its own), and
    is what pypinyin reads from here."""
    made = subprocess.run([sys.executable, "-m", "storage.search.pinyin_table", "--print-chars"],
                          capture_output=True, text=True, check=True, timeout=300).stdout
    assert made == pinyin_table.CHARS.read_text(encoding="utf-8")
    subprocess.run([sys.executable, "-m", "storage.search.pinyin_table", "--check-chars"],
                   check=True, timeout=300)
    # (Here pypinyin was imported before storage.search.names; in the bot it is not.)
    readings = pinyin_table.load_chars()
    assert readings[ord("曾")] == "céng,zēng" and len(readings) == len(constants.PINYIN_DICT)
    assert ord("a") not in readings and 0x10FFFF not in readings and -1 not in readings
    subprocess.run([sys.executable, "-c", (
        "import storage.search.names, pypinyin.constants as c\n"
        "assert type(c.PINYIN_DICT).__name__ == 'CharReadings', type(c.PINYIN_DICT)")],
        check=True, timeout=60)


def test_runs_without_a_phrase_read_as_pypinyin_reads_them() -> None:
    """storage/search/names.py reads a run in which no phrase begins character by
    character, without pypinyin's word cutter: every phrase of the full dictionary, the
    same with characters around it, names, companies and sentences read alike both ways."""
    rng = random.Random(7)
    characters = [chr(c) for c in range(0x4E00, 0x9FA6)]
    asked = [*texts(), *(rng.choice(characters) + p + rng.choice(characters)
                         for p in rng.sample(sorted(phrases_dict), 5000)),
             *("".join(rng.choices(characters, k=rng.randint(2, 8))) for _ in range(5000))]
    runs = [run for text in asked for run in re.findall(names.HAN + "+", text)]
    names._han_syllables.cache_clear()
    differing = [run for run in runs if list(names._han_syllables(run))
                 != [s for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore") if s]]
    assert differing == []
    read_alone = [run for run in runs[:3000] if not any(
        run[i:i + 2] in mmseg.p_set for i in range(len(run) - 1))]
    assert len(read_alone) > 1000  # the path without the cutter was taken

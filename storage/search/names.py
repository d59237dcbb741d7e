"""Text forms of a name that people type when they look for it: pinyin and initials."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from functools import lru_cache

# pypinyin's own phrase dictionary (43 MB in the process) is replaced by the 3,543
# phrases that read differently from their characters (storage/search/pinyin_table.py). The
# variables keep pypinyin from loading its own when this module imports it first (the
# bot's case); should something have imported it before, its dictionary is replaced all
# the same, so that every process reads names alike. Its single characters' readings
# come from our arrays (11 MB less) unless something imported its own module first.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

from storage.search import pinyin_table

if "pypinyin.pinyin_dict" not in sys.modules:
    sys.modules["pypinyin.pinyin_dict"] = pinyin_table.chars_module()

from pypinyin import Style, constants, lazy_pinyin
from pypinyin.seg import mmseg

pinyin_table.use(constants.PHRASES_DICT, mmseg.p_set, pinyin_table.load())

HAN = r"[\u3400-\u9fff\uf900-\ufaff]"  # a Han character, as a regular expression
_HAN = re.compile(HAN)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def han_characters(text: str) -> str:
    """The Han characters of `text`, in order, without the rest."""
    return "".join(_HAN.findall(text))


def fold(text: str) -> str:
    """Case- and width-folded text (NFKC), the form every search comparison uses."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def syllables(name: str) -> list[str]:
    """Pinyin syllables for Han characters, lower-cased words for everything else."""
    return list(_syllables(name))


@lru_cache(maxsize=16384)
def _syllables(name: str) -> tuple[str, ...]:
    """Cached: one record asks for the syllables of its name four times (key, initials,
    search forms, company), and an imported sheet repeats its companies on many rows."""
    parts: list[str] = []
    for word in _WORD.findall(fold(name)):
        if has_han(word):
            for run in _HAN_RUN.findall(word):  # what is not Han inside a word is dropped
                parts.extend(_han_syllables(run))
        else:
            parts.append(word)
    return tuple(parts)


_HAN_RUN = re.compile(HAN + "+")


@lru_cache(maxsize=16384)
def _han_syllables(run: str) -> tuple[str, ...]:
    """A run of Han characters read alone, as pypinyin reads it within a longer text (it
    splits there too): 上海 and 贸易有限公司 of 上海1234贸易有限公司 are cached apart, and
    the bench's 100,000 rows of 20,000 such companies took 0.18 s instead of 1.37 s.

    A run in which no two neighbours begin a phrase of the table is cut by pypinyin's
    word cutter into single characters, each read alone: so it is read here from each
    character's cached reading, without the cutter. Most names are such runs (王伟芳):
    the pinyin of the bench's 100,000 names took 0.50 s instead of 2.59 s, and checking
    its rows 12.5 s of a worker's CPU instead of 16.5 s (their search terms 8.0 / 10.8 s)."""
    if not any(run[i:i + 2] in mmseg.p_set for i in range(len(run) - 1)):
        return tuple(s for character in run for s in _character_syllables(character))
    return tuple(s for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore") if s)


@lru_cache(maxsize=32768)
def _character_syllables(character: str) -> tuple[str, ...]:
    return tuple(s for s in lazy_pinyin(character, style=Style.NORMAL, errors="ignore") if s)


def pinyin_forms(name: str) -> list[str]:
    """`王小明` -> wangxiaoming, wxm, wangxm; Latin names give their words joined."""
    parts = syllables(name)
    if not parts:
        return []
    full = "".join(parts)
    forms = [full, "".join(p[0] for p in parts)]
    if len(parts) > 1:
        forms.append(parts[0] + "".join(p[0] for p in parts[1:]))
    return list(dict.fromkeys(forms))


def pinyin_key(name: str) -> str:
    """Pinyin without tones and spaces: 王小明 and 王晓明 share `wangxiaoming`."""
    return "".join(syllables(name))


def pinyin_initials(name: str) -> str:
    """王小明 -> wxm: the two or three letters people type for a Chinese name."""
    return "".join(p[0] for p in syllables(name))

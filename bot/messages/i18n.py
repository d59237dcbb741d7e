"""gettext catalogs (en is the source language, zh_CN translated), loaded from .po files."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from storage.errors import N_

__all__ = ["LANGUAGES", "N_", "Translate", "translations", "translator"]

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "salesbot"
LANGUAGES = {"en": "English", "zh_CN": "中文"}
Translate = Callable[[str], str]


@cache
def translations(language: str) -> gettext.NullTranslations:
    po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language not in LANGUAGES or not po.exists():
        return gettext.NullTranslations()
    # Compiled in memory so that the .po in the repository is the only source.
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translator(language: str) -> Translate:
    return translations(language).gettext

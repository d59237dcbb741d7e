"""Every message the code shows has a Chinese translation that keeps its placeholders."""

from __future__ import annotations

import re
import string

from babel.messages.pofile import read_po

from bot.messages.catalog import source_messages
from bot.messages.i18n import LOCALES, translator
from bot.process.transports.fakeapi import html_to_text


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_translated_to_chinese_with_the_same_placeholders() -> None:
    with (LOCALES / "zh_CN" / "LC_MESSAGES" / "salesbot.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = sorted(source_messages() - translated.keys())
    assert missing == [], f"untranslated: {missing}"
    for source, target in translated.items():
        assert placeholders(source) == placeholders(target), source
        html_to_text(re.sub(r"\{\w+\}", "x", target))  # Telegram must accept the markup


def test_translator_returns_chinese_and_falls_back_to_english() -> None:
    assert translator("zh_CN")("Save") == "保存"
    assert translator("en")("Save") == "Save"
    assert translator("xx")("Save") == "Save"

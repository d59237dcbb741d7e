"""The messages the code asks to translate, found the way gettext tools find them."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "scheduler", "webapp")
KEYWORDS = {"t": None, "N_": None}


def source_messages() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str):
                found.add(message)
    return found

"""A domain error (storage/errors.py) as the sentence a member reads."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from bot.messages.i18n import Translate
from bot.messages.labels import label
from storage.errors import CrmError, ValidationFailed


def error_text(error: CrmError, t: Translate) -> str:
    """A domain error in the user's language, its values escaped."""
    return "⚠️ " + error_message(error, t, quote=escape)


def error_message(error: CrmError, t: Translate, *,
                  quote: Callable[[str], str] = str) -> str:
    """A domain error in the user's language, as plain text (`quote` each value for
    markup)."""
    params = {key: quote(str(value)) for key, value in error.params.items()}
    if isinstance(error, ValidationFailed):
        params.setdefault("label", label(t, error.field))
    return t(error.message).format(**params)

"""Buttons and keyboards every feature builds its own from."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.messages.i18n import Translate


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def rows_of(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def app_button(text: str, app_url: str, **opened_at: int) -> InlineKeyboardButton:
    """A button that opens the Mini App (private chats only) at one of its screens."""
    joined = "&" if "?" in app_url else "?"
    return InlineKeyboardButton(text, web_app=WebAppInfo(
        app_url + joined + "&".join(f"{key}={value}" for key, value in opened_at.items())))


def choice_keyboard(prefix: str, choices: dict[str, str], t: Translate,
                    extra: list[InlineKeyboardButton] | None = None) -> InlineKeyboardMarkup:
    buttons = [button(t(text), f"{prefix}:{value}") for value, text in choices.items()]
    rows = rows_of(buttons, 3)
    if extra:
        rows.append(extra)
    return InlineKeyboardMarkup(rows)

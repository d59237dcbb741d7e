"""An answer to a member as data: what `say` sends, what a unit of work holds until its
commit, and what the inbox keeps with the effects until it has gone out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

MESSAGE_LIMIT = 4096  # Telegram's, in UTF-16 code units of the visible text


@dataclass(frozen=True)
class Answer:
    chat_id: int
    text: str
    markup: dict[str, Any] | None = None
    edit_message_id: int | None = None  # replace this message instead of sending one

    @classmethod
    def to(cls, update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *,
           edit: bool = False) -> Answer | None:
        """The answer in the update's chat; `edit` replaces the pressed message."""
        query, chat = update.callback_query, update.effective_chat
        buttons = markup.to_dict() if markup is not None else None
        if edit and query is not None and query.message is not None:
            return cls(query.message.chat.id, text, buttons, query.message.message_id)
        return cls(chat.id, text, buttons) if chat is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"chat_id": self.chat_id, "text": self.text, "markup": self.markup,
                "edit_message_id": self.edit_message_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return cls(int(data["chat_id"]), str(data["text"]), data.get("markup"),
                   data.get("edit_message_id"))


async def send_answer(bot: Bot, answer: Answer) -> None:
    """A long answer goes out as several messages, the buttons under the last; an edit of
    a message that is gone or too old becomes a fresh message."""
    text, edit = answer.text, answer.edit_message_id
    if _units(text) > MESSAGE_LIMIT:
        *first, text = pages_of(text)
        for page in first:
            await bot.send_message(answer.chat_id, page)
        edit = None
    markup = InlineKeyboardMarkup.de_json(answer.markup, bot) if answer.markup else None
    if edit is not None:
        try:
            await bot.edit_message_text(text, chat_id=answer.chat_id, message_id=edit,
                                        reply_markup=markup)
            return
        except BadRequest as error:
            if "not modified" in str(error):
                return
    await bot.send_message(answer.chat_id, text, reply_markup=markup)


def pages_of(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Splits a long answer at line ends into messages Telegram accepts. Our HTML never
    spans lines, so every page stays well-formed; the raw HTML is measured, which is never
    shorter than what Telegram counts. A single over-long line is cut."""
    pages: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = _cut(line, limit)
        if current and _units(current) + 1 + _units(line) > limit:
            pages.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return [*pages, current]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> str:
    while _units(line) > limit:
        line = line[: len(line) - (_units(line) - limit + 1) // 2 - 1]
    return line

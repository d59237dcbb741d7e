"""PTB persistence in the database: conversation states and user drafts survive restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage import botstate
from storage.database import Database

USER_DATA = "user_data"
CONVERSATION = "conversation:"
_GONE = object()


@dataclass(frozen=True)
class Row:
    """A `bot_state` row, and the members whose updates change it."""

    kind: str
    key: str
    members: tuple[int, ...]

    @classmethod
    def user_data(cls, user_id: int) -> Row:
        return cls(USER_DATA, str(user_id), (user_id,))

    @classmethod
    def conversation(cls, name: str, key: ConversationKey) -> Row:
        # Keys are (chat, user) for every flow here; a private chat's id is its user's.
        return cls(CONVERSATION + name, json.dumps(list(key)),
                   tuple(part for part in key if isinstance(part, int)))


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Keeps user_data and conversation states as JSON rows in `bot_state`.

    PTB hands over each changed user_data and conversation state in a coroutine of its
    own, all gathered; written each in its own transaction, the first commit marked the
    update done (storage/inbox.py) and a kill before the next lost the flow's step: in the
    e2e test of ten kills, about one run in two had a card whose Save press found no flow.
    So what PTB hands over is only collected here, and `write_for` writes one member's
    changes in one transaction, which marks their update done when nothing else did.

    PTB also asks to write the user_data of every member an update came from, changed or
    not; a row is written only when it differs from what this process last read or wrote
    (a lookup then costs no write: 33 lookups a second before, through a fake Bot API that
    does not rate-limit, measured in bench/updates.py)."""

    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=60,
        )
        self.database = database
        self._written: dict[Row, str] = {}
        self._pending: dict[Row, dict[str, Any] | None] = {}

    @staticmethod
    def _dumped(value: object | None) -> str:
        return "" if value is None else json.dumps(value, sort_keys=True, default=str)

    def _remember(self, row: Row, value: object | None) -> None:
        self._written[row] = self._dumped(value)

    def _collect(self, row: Row, value: dict[str, Any] | None) -> None:
        if self._written.get(row, "") == self._dumped(value):
            self._pending.pop(row, None)  # back to what the row holds
        else:
            self._pending[row] = value

    async def write_for(self, user_id: int | None) -> None:
        """Writes the collected changes of this member (their user_data, their place in
        every flow) in one transaction."""
        mine = {row: value for row, value in self._pending.items()
                if user_id is not None and user_id in row.members}
        await self._write(mine)

    async def flush(self) -> None:
        await self._write(dict(self._pending))

    async def _write(self, rows: dict[Row, dict[str, Any] | None]) -> None:
        if not rows:
            return
        async with self.database.unit_of_work() as session:
            for row, value in rows.items():
                if value is None:
                    await botstate.remove(session, row.kind, row.key)
                else:
                    await botstate.save(session, row.kind, row.key, value)
        for row, value in rows.items():
            self._remember(row, value)
            if self._pending.get(row, _GONE) is value:  # not changed again meanwhile
                del self._pending[row]

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        async with self.database.unit_of_work() as session:
            rows = await botstate.load_all(session, USER_DATA)
        for key, value in rows.items():
            self._remember(Row.user_data(int(key)), value)
        return {int(key): value for key, value in rows.items()}

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        self._collect(Row.user_data(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop(Row.user_data(user_id), None)  # unknown until written again
        self._pending[Row.user_data(user_id)] = None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.database.unit_of_work() as session:
            rows = await botstate.load_all(session, CONVERSATION + name)
        for key, value in rows.items():
            self._remember(Row.conversation(name, tuple(json.loads(key))), value)
        return {tuple(json.loads(key)): value["state"] for key, value in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        self._collect(Row.conversation(name, key),
                      None if new_state is None else {"state": new_state})

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None


"""PTB persistence in the database: conversation states and user drafts survive restarts."""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage import botstate
from storage.database import Database

USER_DATA = "user_data"
CONVERSATION = "conversation:"


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Keeps user_data and conversation states as JSON rows in `bot_state`.

    PTB asks to write the user_data of every member an update came from, changed or not;
    a row is written only when it differs from what this process last read or wrote
    (a lookup then costs no write: 33 lookups a second before, through a fake Bot API
    that does not rate-limit, measured in bench/updates.py)."""

    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=60,
        )
        self.database = database
        self._written: dict[tuple[str, str], str] = {}

    @staticmethod
    def _dumped(value: object | None) -> str:
        return "" if value is None else json.dumps(value, sort_keys=True, default=str)

    def _unchanged(self, kind: str, key: str, value: object | None) -> bool:
        """Whether the row already holds `value` (None: no row)."""
        return self._written.get((kind, key), "") == self._dumped(value)

    def _remember(self, kind: str, key: str, value: object | None) -> None:
        self._written[(kind, key)] = self._dumped(value)

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        async with self.database.unit_of_work() as session:
            rows = await botstate.load_all(session, USER_DATA)
        for key, value in rows.items():
            self._remember(USER_DATA, key, value)
        return {int(key): value for key, value in rows.items()}

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        if self._unchanged(USER_DATA, str(user_id), data or None):
            return
        async with self.database.unit_of_work() as session:
            if data:
                await botstate.save(session, USER_DATA, str(user_id), data)
            else:
                await botstate.remove(session, USER_DATA, str(user_id))
        self._remember(USER_DATA, str(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop((USER_DATA, str(user_id)), None)  # unknown until written again
        async with self.database.unit_of_work() as session:
            await botstate.remove(session, USER_DATA, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.database.unit_of_work() as session:
            rows = await botstate.load_all(session, CONVERSATION + name)
        for key, value in rows.items():
            self._remember(CONVERSATION + name, key, value)
        return {tuple(json.loads(key)): value["state"] for key, value in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        kind, row_key = CONVERSATION + name, json.dumps(list(key))
        value = None if new_state is None else {"state": new_state}
        if self._unchanged(kind, row_key, value):
            return
        async with self.database.unit_of_work() as session:
            if value is None:
                await botstate.remove(session, kind, row_key)
            else:
                await botstate.save(session, kind, row_key, value)
        self._remember(kind, row_key, value)

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

    async def flush(self) -> None:
        return None

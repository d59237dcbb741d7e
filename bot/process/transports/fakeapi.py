"""A Bot API that lives in memory, strict the way Telegram is.

The console and the flow tests talk to it in-process (bot/process/transports/inprocess.py);
the end-to-end tests serve the very same object over HTTP (tests/e2e/server.py).
The bot side calls `call(method, params, files)`; the user side (`user_sends`,
`user_presses`, ...) queues updates the way Telegram would deliver them.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

BOT_ID = 7_000_000_001
BOT_USERNAME = "salesbot_test_bot"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
GROUP_PER_MINUTE = 20
MAX_CAPTION = 1024
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s>\"'<]+))?)*)\s*>"
)
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


class BotApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False, "error_code": self.status, "description": self.description
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


def html_to_text(source: str) -> str:
    """Telegram's HTML parse mode: the visible text, or the error Telegram gives."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "<":
            match = _TAG.match(source, i)
            offset = len(source[:i].encode("utf-8"))
            if not match:
                raise bad_request(f"can't parse entities: Unexpected < at byte offset {offset}")
            name = match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise bad_request(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                )
            if match.group(1):
                if not stack or stack[-1] != name:
                    raise bad_request(
                        f'can\'t parse entities: Unmatched end tag at byte offset {offset}, '
                        f'expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(source, i)
            if not match:
                offset = len(source[:i].encode("utf-8"))
                raise bad_request(
                    "can't parse entities: Character reference is not terminated "
                    f"at byte offset {offset}"
                )
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif ch == ">":
            offset = len(source[:i].encode("utf-8"))
            raise bad_request(f"can't parse entities: Unexpected > at byte offset {offset}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise bad_request(
            f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"'
        )
    return "".join(out)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FakeUser:
    id: int
    first_name: str
    language_code: str = "en"
    username: str | None = None
    last_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "is_bot": False, "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        if self.last_name:
            data["last_name"] = self.last_name
        return data


@dataclass
class BotMessage:
    """A message the bot sent, as it stands now (edits applied)."""

    chat_id: int
    message_id: int
    text: str
    html: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    photo: dict[str, Any] | None = None  # the largest size, as Telegram lists it last
    edits: int = 0

    def button_data(self, label: str) -> str:
        """The callback data of the first button whose text contains `label`."""
        for row in self.buttons:
            for text, data in row:
                if label in text:
                    return data
        raise LookupError(f"no button {label!r} in {self.buttons}")

    @property
    def button_labels(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]


@dataclass
class InlineArticle:
    result_id: str
    title: str
    description: str
    text: str  # what choosing it posts into the chat, as the chat shows it


@dataclass
class InlineAnswer:
    articles: list[InlineArticle]
    button: dict[str, Any] | None
    cache_time: int
    is_personal: bool


@dataclass
class Fault:
    method: str
    status: int
    retry_after: int | None
    times: int


class Dropped(Exception):
    """A call whose answer never came: "timeout" (the client gave up waiting) or "reset"
    (the connection broke). The transports turn it into what the client would see."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


@dataclass
class Drop:
    method: str
    how: str
    carried_out: bool  # the request reached Telegram, only its answer was lost
    times: int


class FakeBotApi:
    """The Bot API's state: chats, messages, pending updates, files, commands."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.log: list[BotMessage] = []  # every message the bot sent, in order
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.menu_buttons: dict[int, dict[str, Any]] = {}  # by chat id; 0: everyone's
        self.files: dict[str, tuple[str, bytes]] = {}
        self.answered: dict[str, dict[str, Any]] = {}
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, str] = {}  # group chats the bot is in: id -> title
        self.on_bot_message: Callable[[BotMessage, bool], None] | None = None
        self._faults: list[Fault] = []
        self._drops: list[Drop] = []
        self._stall_after: dict[str, int] = {}
        self._unstall = asyncio.Event()
        self.stalled = 0
        # Telegram's flood limits, when enforced: sends per second overall and per chat.
        self.flood_limits: tuple[int, int] | None = None
        self._sends: deque[tuple[float, int]] = deque()
        self._group_sends: deque[tuple[float, int]] = deque()  # the last minute's, to groups
        self.flood_refusals = 0
        self._update_ids = count(1)
        self._message_ids = count(1)
        self._query_ids = count(1)
        self._file_ids = count(1)
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._open_queries: set[str] = set()
        self._open_inline: set[str] = set()
        self.inline_answers: dict[str, InlineAnswer] = {}
        self._arrived: asyncio.Event | None = None

    # ---- the user side ---------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "User", language_code: str = "en",
             username: str | None = None) -> FakeUser:
        person = FakeUser(user_id, first_name, language_code, username)
        self.users[user_id] = person
        return person

    def group(self, chat_id: int, title: str) -> int:
        """A group the bot has been added to (ids of groups are negative)."""
        assert chat_id < 0
        self.groups[chat_id] = title
        return chat_id

    def _chat_of(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.groups:
            return {"id": chat_id, "type": "group", "title": self.groups[chat_id]}
        person = self.users.get(chat_id)
        return {"id": chat_id, "type": "private",
                "first_name": person.first_name if person else "User"}

    def _message_from(self, person: FakeUser, chat_id: int | None = None,
                      **content: Any) -> dict[str, Any]:
        chat = self._chat_of(person.id if chat_id is None else chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": person.as_dict(),
            **content,
        }
        self._user_messages[(chat["id"], message["message_id"])] = message
        return message

    def _queue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.pending.append(update)
        if self._arrived is not None:
            self._arrived.set()
        return update

    def user_sends(self, person: FakeUser, text: str, *, reply_to: int | None = None,
                   in_group: int | None = None) -> dict[str, Any]:
        """A message in the person's chat with the bot, or in the group `in_group`; a
        reply quotes the bot's message `reply_to` of that chat."""
        chat_id = person.id if in_group is None else in_group
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        if reply_to is not None:
            content["reply_to_message"] = self._as_telegram(self.messages[(chat_id, reply_to)])
        return self._queue("message", self._message_from(person, chat_id, **content))

    def user_shares_contact(self, person: FakeUser, phone_number: str, first_name: str,
                            last_name: str | None = None, vcard: str | None = None
                            ) -> dict[str, Any]:
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if vcard:
            contact["vcard"] = vcard
        return self._queue("message", self._message_from(person, contact=contact))

    def user_sends_document(self, person: FakeUser, file_name: str, content: bytes,
                            mime_type: str = "application/octet-stream",
                            caption: str | None = None) -> dict[str, Any]:
        file_id = self._store_file(file_name, content)
        document = {
            "file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
            "mime_type": mime_type, "file_size": len(content),
        }
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        return self._queue("message", self._message_from(person, document=document, **extra))

    def user_sends_photo(self, person: FakeUser, content: bytes, *, width: int = 1000,
                         height: int = 600) -> dict[str, Any]:
        """A photo as Telegram delivers it: a list of sizes, the largest last (here the
        one size, the picture as sent)."""
        file_id = self._store_file("photo.jpg", content)
        photo = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": width,
                  "height": height, "file_size": len(content)}]
        return self._queue("message", self._message_from(person, photo=photo))

    def user_sends_voice(self, person: FakeUser, content: bytes, *, duration: int = 3,
                         reply_to: int | None = None) -> dict[str, Any]:
        file_id = self._store_file("voice.ogg", content)
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": duration,
                 "mime_type": "audio/ogg", "file_size": len(content)}
        extra: dict[str, Any] = {}
        if reply_to is not None:
            extra["reply_to_message"] = self._as_telegram(self.messages[(person.id, reply_to)])
        return self._queue("message", self._message_from(person, voice=voice, **extra))

    def user_presses(self, person: FakeUser, message: BotMessage, data: str,
                     *, check: bool = True) -> dict[str, Any]:
        """A button press; with check=False any data may be sent, as a forger would."""
        if check and all(d != data for row in message.buttons for _, d in row):
            raise LookupError(f"message {message.message_id} has no button {data!r}")
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        return self._queue("callback_query", {
            "id": query_id,
            "from": person.as_dict(),
            "chat_instance": str(message.chat_id),
            "message": self._as_telegram(message),
            "data": data,
        })

    def user_types_inline(self, person: FakeUser, query: str,
                          chat_type: str = "private") -> str:
        """`@bot query` typed in a chat of kind `chat_type`; returns the query's id, under
        which `inline_answers` keeps the bot's answer."""
        query_id = str(next(self._query_ids))
        self._open_inline.add(query_id)
        self._queue("inline_query", {"id": query_id, "from": person.as_dict(),
                                     "query": query, "offset": "", "chat_type": chat_type})
        return query_id

    def take_pending(self) -> list[dict[str, Any]]:
        taken, self.pending = self.pending, []
        return taken

    def fail_next(self, method: str, status: int, *, retry_after: int | None = None,
                  times: int = 1) -> None:
        """The next `times` calls of `method` (or "*" for any) fail with `status`."""
        self._faults.append(Fault(method.lower(), status, retry_after, times))

    def drop_next(self, method: str, how: str = "reset", *, carried_out: bool = False,
                  times: int = 1) -> None:
        """The next `times` calls of `method` get no answer: `how` is "timeout" or
        "reset"; with `carried_out` the call took effect before its answer was lost."""
        assert how in ("timeout", "reset")
        self._drops.append(Drop(method.lower(), how, carried_out, times))

    def stall_after(self, method: str, successes: int) -> None:
        """After `successes` more calls of `method`, further calls hang unanswered, as when
        the network dies mid-request; they are not carried out."""
        done = sum(1 for m, _ in self.calls if m.lower() == method.lower())
        self._stall_after[method.lower()] = done + successes

    def enforce_flood_limits(self, overall: int = 30, per_chat: int = 1) -> None:
        """Answers 429 when more than `overall` sends (or `per_chat` to one chat) fall in
        any one-second window, or more than 20 to one group in a minute, as Telegram
        does."""
        self.flood_limits = (overall, per_chat)

    def _check_flood(self, params: dict[str, Any]) -> None:
        assert self.flood_limits is not None
        overall, per_chat = self.flood_limits
        now = time.monotonic()
        while self._sends and now - self._sends[0][0] >= 1.0:
            self._sends.popleft()
        chat_id = int(params.get("chat_id") or 0)
        while self._group_sends and now - self._group_sends[0][0] >= 60.0:
            self._group_sends.popleft()
        if len(self._sends) >= overall or sum(c == chat_id for _, c in self._sends) >= per_chat:
            self.flood_refusals += 1
            raise BotApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if chat_id < 0 and sum(c == chat_id for _, c in self._group_sends) >= GROUP_PER_MINUTE:
            self.flood_refusals += 1
            raise BotApiError(429, "Too Many Requests: retry after 3", retry_after=3)
        self._sends.append((now, chat_id))
        if chat_id < 0:
            self._group_sends.append((now, chat_id))

    def release_stalled(self) -> None:
        """Ends the hanging calls (with a 502, never carried out), e.g. to shut down."""
        self._unstall.set()

    def chat(self, chat_id: int) -> list[BotMessage]:
        return [m for m in self.log if m.chat_id == chat_id]

    def last(self, chat_id: int) -> BotMessage:
        return self.chat(chat_id)[-1]

    # ---- the bot side ----------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any],
                   files: dict[str, tuple[str, bytes]] | None = None) -> Any:
        name = method.lower()
        drop = next((d for d in self._drops if d.method in (name, "*") and d.times > 0), None)
        if drop is not None:
            drop.times -= 1
            if drop.carried_out:
                await self._carry_out(name, method, params, files)
            raise Dropped(drop.how)
        return await self._carry_out(name, method, params, files)

    async def _carry_out(self, name: str, method: str, params: dict[str, Any],
                         files: dict[str, tuple[str, bytes]] | None) -> Any:
        self._fail_if_asked(name)
        limit = self._stall_after.get(name)
        if limit is not None and sum(1 for m, _ in self.calls if m.lower() == name) >= limit:
            self.stalled += 1
            await self._unstall.wait()
            raise BotApiError(502, "Bad Gateway")
        if self.flood_limits is not None and name.startswith("send"):
            self._check_flood(params)
        self.calls.append((method, params))
        handler = getattr(self, f"_api_{name}", None)
        if handler is None:
            raise BotApiError(404, "Not Found")
        if name == "getupdates":
            return await self._api_getupdates(params)
        return handler(params, files or {})

    def _fail_if_asked(self, name: str) -> None:
        for fault in self._faults:
            if fault.method in (name, "*") and fault.times > 0:
                fault.times -= 1
                if fault.status == 429:
                    raise BotApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                                      retry_after=fault.retry_after or 1)
                raise BotApiError(fault.status, "Internal Server Error"
                                  if fault.status >= 500 else "Bad Request: injected")
        self._faults = [f for f in self._faults if f.times > 0]

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending and float(params.get("timeout") or 0) > 0:
            self._arrived = asyncio.Event()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params["timeout"]))
            except TimeoutError:
                pass
            finally:
                self._arrived = None
        limit = int(params.get("limit") or 100)
        return self.pending[:limit]

    def _api_getme(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {
            "id": BOT_ID, "is_bot": True, "first_name": "SalesBot", "username": BOT_USERNAME,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _api_deletewebhook(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _api_setwebhook(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _api_close(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _api_sendchataction(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _api_setmycommands(self, params: dict[str, Any], files: Any) -> bool:
        commands = _json(params.get("commands"))
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[params.get("language_code") or ""] = commands
        return True

    def _api_getmycommands(self, params: dict[str, Any], files: Any) -> list[dict[str, str]]:
        return self.commands.get(params.get("language_code") or "", [])

    def _api_setchatmenubutton(self, params: dict[str, Any], files: Any) -> bool:
        button = _json(params.get("menu_button")) or {"type": "default"}
        if button.get("type") == "web_app":
            if not button.get("text"):
                raise bad_request("BUTTON_TEXT_EMPTY")
            if not str((button.get("web_app") or {}).get("url", "")).startswith("https://"):
                raise bad_request("BUTTON_URL_INVALID")
        self.menu_buttons[params.get("chat_id") or 0] = button
        return True

    def _rendered(self, params: dict[str, Any], key: str, limit: int) -> tuple[str, str]:
        source = str(params.get(key) or "")
        visible = html_to_text(source) if params.get("parse_mode") == "HTML" else source
        if key in ("text", "message_text") and not visible.strip():
            raise bad_request("message text is empty")
        if utf16_length(visible) > limit:
            what = "message caption" if key == "caption" else "message"
            raise bad_request(f"{what} is too long")
        return visible, source

    @staticmethod
    def _buttons(params: dict[str, Any]) -> list[list[tuple[str, str]]]:
        markup = _json(params.get("reply_markup"))
        if not markup or "inline_keyboard" not in markup:
            return []
        rows: list[list[tuple[str, str]]] = []
        for row in markup["inline_keyboard"]:
            out: list[tuple[str, str]] = []
            for button in row:
                if not button.get("text"):
                    raise bad_request("BUTTON_TEXT_EMPTY")
                data = button.get("callback_data", "")
                if "callback_data" in button and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
                if "web_app" in button:  # Telegram: https only, and in private chats only
                    data = "web_app:" + str(button["web_app"].get("url", ""))
                    if not data.startswith("web_app:https://"):
                        raise bad_request("BUTTON_URL_INVALID")
                    if int(params.get("chat_id") or 0) < 0:
                        raise bad_request("BUTTON_TYPE_INVALID")
                out.append((button["text"], data))
            rows.append(out)
        return rows

    def _chat_id(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_request("chat not found") from exc
        if chat_id not in self.users and chat_id not in self.groups:
            raise bad_request("chat not found")
        return chat_id

    def _record(self, message: BotMessage) -> dict[str, Any]:
        self.messages[(message.chat_id, message.message_id)] = message
        self.log.append(message)
        if self.on_bot_message:
            self.on_bot_message(message, False)
        return self._as_telegram(message)

    def _as_telegram(self, message: BotMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self._chat_of(message.chat_id),
            "from": self._api_getme({}, None),
        }
        if message.document or message.photo:
            if message.document:
                data["document"] = message.document
            else:
                data["photo"] = [message.photo]
            if message.text:
                data["caption"] = message.text
        elif message.contact:
            data["contact"] = message.contact
        else:
            data["text"] = message.text
        if message.buttons:
            data["reply_markup"] = {"inline_keyboard": [
                [{"text": t, "callback_data": d} for t, d in row] for row in message.buttons
            ]}
        return data

    def _api_sendmessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        text, source = self._rendered(params, "text", MAX_TEXT)
        message = BotMessage(chat_id, next(self._message_ids), text, source, self._buttons(params))
        return self._record(message)

    def _existing(self, params: dict[str, Any]) -> BotMessage:
        key = (self._chat_id(params), int(params.get("message_id") or 0))
        if key not in self.messages:
            raise bad_request("message to edit not found")
        return self.messages[key]

    def _api_editmessagetext(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._existing(params)
        text, source = self._rendered(params, "text", MAX_TEXT)
        buttons = self._buttons(params)
        if text == message.text and buttons == message.buttons:
            raise bad_request(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        message.text, message.html, message.buttons = text, source, buttons
        message.edits += 1
        if self.on_bot_message:
            self.on_bot_message(message, True)
        return self._as_telegram(message)

    def _api_editmessagereplymarkup(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._existing(params)
        buttons = self._buttons(params)
        if buttons == message.buttons:
            raise bad_request("message is not modified")
        message.buttons = buttons
        message.edits += 1
        return self._as_telegram(message)

    def _api_deletemessage(self, params: dict[str, Any], files: Any) -> bool:
        message = self._existing(params)
        del self.messages[(message.chat_id, message.message_id)]
        return True

    def _api_answercallbackquery(self, params: dict[str, Any], files: Any) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.answered[query_id] = params
        return True

    def _api_answerinlinequery(self, params: dict[str, Any], files: Any) -> bool:
        """Checked as Telegram checks: one answer per query, at most 50 results with
        unique ids of 1-64 bytes, each message text valid as sent."""
        query_id = str(params.get("inline_query_id"))
        if query_id not in self._open_inline:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid")
        results = _json(params.get("results")) or []
        ids = [str(result.get("id", "")) for result in results]
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
            raise bad_request("RESULT_ID_INVALID")
        articles = []
        for result in results:
            if not result.get("title"):
                raise bad_request("RESULT_TITLE_EMPTY")
            content = result.get("input_message_content") or {}
            text, _ = self._rendered(content, "message_text", 4096)
            articles.append(InlineArticle(str(result["id"]), result["title"],
                                          result.get("description", ""), text))
        button = _json(params.get("button"))
        self._open_inline.discard(query_id)
        self.inline_answers[query_id] = InlineAnswer(
            articles, button, int(params.get("cache_time", 300)),
            str(params.get("is_personal", "")).lower() == "true")
        return True

    def _store_file(self, name: str, content: bytes) -> str:
        file_id = f"F{next(self._file_ids):06d}"
        self.files[file_id] = (name, content)
        return file_id

    def _api_getfile(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        name, content = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content),
                "file_path": f"documents/{file_id}/{name}"}

    def file_content(self, path: str) -> bytes:
        """What `/file/bot<token>/<path>` serves."""
        parts = path.split("/")
        if len(parts) >= 2 and parts[-2] in self.files:
            return self.files[parts[-2]][1]
        raise BotApiError(404, "Not Found")

    def _api_senddocument(self, params: dict[str, Any],
                          files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        caption, source = self._rendered(params, "caption", MAX_CAPTION)
        reference = str(params.get("document") or "")
        upload = reference[9:] if reference.startswith("attach://") else "document"
        if upload in files and (not reference or reference.startswith("attach://")):
            name, content = files[upload]  # a new file, uploaded in the request's body
            file_id = self._store_file(name, content)
        elif reference in self.files:
            file_id, name = reference, self.files[reference][0]
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name,
                    "file_size": len(self.files[file_id][1])}
        message = BotMessage(chat_id, next(self._message_ids), caption, source,
                             self._buttons(params), document=document)
        return self._record(message)

    def _api_sendphoto(self, params: dict[str, Any],
                       files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        """As Telegram checks a photo: an image it can read, at most 10 MB, width and height
        together at most 10,000 px, their ratio at most 20."""
        chat_id = self._chat_id(params)
        caption, source = self._rendered(params, "caption", MAX_CAPTION)
        reference = str(params.get("photo") or "")
        upload = reference[9:] if reference.startswith("attach://") else "photo"
        if upload in files and (not reference or reference.startswith("attach://")):
            name, content = files[upload]
        elif reference in self.files:
            name, content = self.files[reference]
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        size = _png_size(content)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if len(content) > 10 * 2**20 or width + height > 10_000 or \
                max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        file_id = reference if reference in self.files else self._store_file(name, content)
        photo = {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": width,
                 "height": height, "file_size": len(content)}
        message = BotMessage(chat_id, next(self._message_ids), caption, source,
                             self._buttons(params), photo=photo)
        return self._record(message)

    def _api_sendcontact(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        if not str(params.get("phone_number") or "").strip():
            raise bad_request("phone number is empty")
        if not str(params.get("first_name") or "").strip():
            raise bad_request("first name is empty")
        contact = {k: params[k] for k in ("phone_number", "first_name", "last_name", "vcard")
                   if params.get(k)}
        message = BotMessage(chat_id, next(self._message_ids), "", "", self._buttons(params),
                             contact=contact)
        return self._record(message)

    def _api_sendvoice(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        """Voice notes are only ever sent again by file id here."""
        chat_id = self._chat_id(params)
        reference = str(params.get("voice") or "")
        if reference not in self.files:
            raise bad_request("wrong file identifier/HTTP URL specified")
        document = {"file_id": reference, "file_unique_id": f"u{reference}",
                    "file_name": self.files[reference][0],
                    "file_size": len(self.files[reference][1])}
        message = BotMessage(chat_id, next(self._message_ids), "", "", [], document=document)
        return self._record(message)


def _png_size(content: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header; None for anything else (the bot sends only
    PNG pictures)."""
    if len(content) < 24 or content[:8] != b"\x89PNG\r\n\x1a\n" or content[12:16] != b"IHDR":
        return None
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _json(value: Any) -> Any:
    """Parameters arrive decoded in-process and as JSON strings over multipart HTTP."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise bad_request("can't parse JSON parameter") from exc
    return value

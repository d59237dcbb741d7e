"""Who is asking: Telegram's signed `initData`, checked as Telegram specifies.

Telegram opens the Mini App with `initData`, a query string it signed for this bot: the
`hash` field is HMAC-SHA256 of the other fields (sorted `key=value` lines) under a key
that is itself HMAC-SHA256 of the bot token under the constant "WebAppData". Only
Telegram and this bot know the token, so a valid hash proves the `user` field. Every API
call carries the string (header `Authorization: tma <initData>`); nothing else signs a
member in. `auth_date` older than the configured window is refused, so a string copied
out of a phone's log stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode


class NotSigned(Exception):
    """The initData is missing, malformed, forged or too old (HTTP 401)."""


@dataclass(frozen=True)
class SignedUser:
    telegram_id: int
    first_name: str
    last_name: str
    username: str | None
    language_code: str | None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or str(
            self.telegram_id)


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash").encode()


def signed_user(init_data: str, bot_token: str, *, max_age: float,
                now: float | None = None) -> SignedUser:
    """The member Telegram vouches for, or NotSigned saying why not."""
    if not init_data or len(init_data) > 4096:
        raise NotSigned("no initData")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise NotSigned("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotSigned("a field appears twice")
    given = fields.get("hash", "")
    wanted = hmac.new(_secret(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), wanted.encode()):
        raise NotSigned("the signature does not match")
    try:
        signed_at = int(fields["auth_date"])
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise NotSigned("initData lacks auth_date or user") from None
    if (now if now is not None else time.time()) - signed_at > max_age:
        raise NotSigned("initData is too old: open the app again")
    return SignedUser(telegram_id, str(user.get("first_name") or ""),
                      str(user.get("last_name") or ""), user.get("username"),
                      user.get("language_code"))


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it (for the tests, the bench and a local login)."""
    signed = dict(fields)
    signed["hash"] = hmac.new(_secret(bot_token), _check_string(signed),
                              hashlib.sha256).hexdigest()
    return urlencode(signed)

"""Telegram's initData, checked as Telegram specifies (webapp/auth.py)."""

from __future__ import annotations

import json

import pytest

from webapp.auth import NotSigned, sign, signed_user

TOKEN = "123456:TEST-TOKEN"
NOW = 1_790_000_000
DAY = 86_400.0


def init_data(*, token: str = TOKEN, auth_date: int = NOW, user_id: int = 42) -> str:
    return sign({"query_id": "AAH", "auth_date": str(auth_date),
                 "user": json.dumps({"id": user_id, "first_name": "王", "last_name": "小明",
                                     "username": "wxm", "language_code": "zh-hans"})}, token)


def test_a_signature_of_this_bot_names_the_member() -> None:
    who = signed_user(init_data(), TOKEN, max_age=DAY, now=NOW + 60)
    assert (who.telegram_id, who.display_name, who.username) == (42, "王 小明", "wxm")


@pytest.mark.parametrize("tampered, reason", [
    (init_data().replace("%22id%22%3A+42", "%22id%22%3A+43"), "does not match"),  # forged
    (init_data(token="654321:OTHER-BOT"), "does not match"),  # another bot's token
    (init_data(auth_date=NOW - 2 * 86_400), "too old"),  # replayed after the window
    (init_data().split("&hash=")[0], "does not match"),  # no hash
    ("", "no initData"),
    ("a" * 5000, "no initData"),
    ("%%%", "not a query string"),
    (init_data() + "&auth_date=1", "twice"),
])
def test_anything_else_is_refused(tampered: str, reason: str) -> None:
    with pytest.raises(NotSigned, match=reason):
        signed_user(tampered, TOKEN, max_age=DAY, now=NOW + 60)

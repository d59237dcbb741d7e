"""The one place the core asks what time it is, so tests can freeze it."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)

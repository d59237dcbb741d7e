"""Telegram handlers, one module per feature. Thin: read the update, call a service, render."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    access,
    backups,
    common,
    customers,
    dupes,
    followups,
    interactions,
    nudges,
    privacy,
    search,
    start,
    team,
)


def register_all(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    access.register(app)  # group -1: nothing runs for people who are not members
    start.register(app)
    customers.register(app)
    interactions.register(app)
    followups.register(app)
    nudges.register(app)
    dupes.register(app)
    backups.register(app)
    privacy.register(app)
    team.register(app)
    search.register(app)  # plain text last: any flow waiting for text goes first
    common.register(app)

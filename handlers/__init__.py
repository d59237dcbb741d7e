"""Telegram handlers, one module per feature. Thin: read the update, call a service, render."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    access,
    backups,
    calendars,
    campaigns,
    common,
    customers,
    deals,
    dupes,
    exports,
    followups,
    groups,
    imports,
    inline,
    interactions,
    nudges,
    payments,
    plans,
    privacy,
    purchases,
    quality,
    requests,
    returns,
    search,
    segments,
    start,
    stats,
    surveys,
    targets,
    team,
    value,
)


def register_all(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    access.register(app)  # group -2: nothing runs for people who are not members
    groups.register(app)  # group -1: in a group chat only lookups go on
    start.register(app)
    customers.register(app)
    # Flows that start from a button and then wait for text come before the log flow,
    # whose entry is any text that reads like a contact: "called, no answer" typed as a
    # follow-up's outcome is an answer, not a new log.
    followups.register(app)
    nudges.register(app)
    plans.register(app)  # a typed plan or invoice number is an answer, not a payment
    targets.register(app)  # "回款 50万 新客户 10" typed for 🎯 is targets, not a payment
    campaigns.register(app)  # a campaign's subject and message are answers, not logs
    quality.register(app)
    dupes.register(app)
    backups.register(app)
    imports.register(app)
    exports.register(app)
    privacy.register(app)
    team.register(app)
    calendars.register(app)
    value.register(app)
    stats.register(app)
    segments.register(app)
    deals.register(app)  # "预计下月成交" is a deal, not a purchase
    returns.register(app)  # "退货 5 台 X1" is goods back, not a request or a purchase
    payments.register(app)  # "Acme paid $4,800" is money in, not a purchase
    purchases.register(app)  # before the log flow: "called, he bought 3" is a purchase
    # After the purchase flow, whose satisfaction comment ("交货太慢") is an answer, and
    # before the log flow: "王总投诉发货太慢" is a service request, not a timeline note.
    requests.register(app)
    surveys.register(app)
    interactions.register(app)
    inline.register(app)
    search.register(app)  # plain text last: any flow waiting for text goes first
    common.register(app)

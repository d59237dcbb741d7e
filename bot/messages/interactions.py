"""The log card (a call, visit or note understood from one message) and a customer's
timeline."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import button
from bot.messages.labels import kind_label, local_time
from storage.models import (
    Customer,
    Interaction,
)


def log_card(t: Translate, *, customer: Customer | None, kind: str | None, text: str,
             occurred: datetime | None, due: datetime | None, timezone: str,
             deadline: datetime | None = None, passed: datetime | None = None,
             alternative: datetime | None = None) -> str:
    """What was understood from a log or /remind message, shown before it is saved."""
    who = (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
           else "<i>" + t("no customer yet") + "</i>")
    head = f"{kind_label(t, kind)} · {who}" if kind else "⏰ " + t("Follow-up") + f" · {who}"
    lines = [head]
    if text:
        lines.append(f"“{escape(text[:1000])}”")
    if kind:
        lines.append("🕒 " + t("When: {when}").format(
            when=local_time(occurred, timezone, t) if occurred else t("just now")))
    lines.append("⏰ " + t("Follow-up: {when}").format(
        when=local_time(due, timezone, t) if due else t("none")))
    if alternative is not None:
        lines.append("❓ " + t("Or {when}? One tap below.").format(
            when=local_time(alternative, timezone, t)))
    if passed is not None:
        lines.append("↪️ " + t("{when} had already passed, so it is the next one.").format(
            when=local_time(passed, timezone, t)))
    if deadline is not None:
        lines.append("⏳ " + t("Deadline: {when}").format(when=local_time(deadline, timezone, t)))
    return "\n".join(lines)


def log_keyboard(t: Translate, *, alternative: datetime | None = None, timezone: str = "UTC"
                 ) -> InlineKeyboardMarkup:
    """The card's buttons; with another reading of the follow-up time, one that takes it."""
    rows = [
        [button("✅ " + t("Save"), "log:save"), button("📅 " + t("Change date"), "log:date")],
        [button("👤 " + t("Change customer"), "log:who"),
         button("❌ " + t("Cancel"), "log:cancel")],
    ]
    if alternative is not None:
        rows.insert(1, [button("🔁 " + local_time(alternative, timezone, t), "log:alt")])
    return InlineKeyboardMarkup(rows)


def timeline_text(t: Translate, customer: Customer, entries: list[Interaction], total: int,
                  offset: int, timezone: str) -> str:
    lines = [t("Timeline of {name} ({shown} of {total})").format(
        name=f"<b>{escape(customer.name)}</b>", shown=f"{offset + 1}-{offset + len(entries)}"
        if entries else "0", total=total)]
    for entry in entries:
        line = f"{local_time(entry.occurred_at, timezone, t)} {kind_label(t, entry.kind)}"
        if entry.summary:
            line += f": {escape(entry.summary[:300])}"
        if entry.outcome:
            line += f" → {escape(entry.outcome)}"
        if entry.attachment_kind:
            line += f" 📎/file_{entry.id}"
        lines.append(line)
    return "\n".join(lines)


def timeline_keyboard(t: Translate, customer_id: int, offset: int, total: int, page: int
                      ) -> InlineKeyboardMarkup | None:
    row = []
    if offset > 0:
        row.append(button("◀️ " + t("Newer"), f"tl:{customer_id}:{max(offset - page, 0)}"))
    if offset + page < total:
        row.append(button(t("Older") + " ▶️", f"tl:{customer_id}:{offset + page}"))
    return InlineKeyboardMarkup([row]) if row else None

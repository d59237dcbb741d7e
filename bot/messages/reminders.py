"""Reminders as they arrive and as they are listed: follow-ups (one tap to do or snooze)
and stale-record nudges."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import button, rows_of
from bot.messages.labels import label, local_time, stage_label, tier_label
from storage.models import (
    Reminder,
    ReminderKind,
)
from storage.validation import format_phone


def reminder_text(t: Translate, reminder: Reminder, timezone: str, *, late: bool) -> str:
    lines = ["⏰ " + t("Follow-up")]
    if reminder.customer is not None:
        customer = reminder.customer
        lines[0] += f" · <b>{escape(customer.name)}</b> <code>{customer.code}</code>"
    if reminder.text:
        lines.append(f"“{escape(reminder.text)}”")
    lines.append(t("Due {when}").format(when=local_time(reminder.due_at, timezone, t)))
    if late:
        lines.append("⌛ " + t("Late: the bot could not send this on time."))
    return "\n".join(lines)


def reminder_keyboard(t: Translate, reminder_id: int) -> InlineKeyboardMarkup:
    prefix = f"r:{reminder_id}"
    return InlineKeyboardMarkup([
        [button("✅ " + t("Done"), f"{prefix}:done"),
         button("💤 " + t("Snooze 1 h"), f"{prefix}:1h")],
        [button("🌅 " + t("Tomorrow 9:00"), f"{prefix}:tomorrow"),
         button("📅 " + t("Next week"), f"{prefix}:nextweek")],
        [button("🕒 " + t("Pick time"), f"{prefix}:pick"),
         button("🗑 " + t("Cancel it"), f"{prefix}:cancel")],
    ])


def _followup_line(t: Translate, reminder: Reminder, timezone: str, *, with_year: bool,
                   text_limit: int) -> str:
    when = local_time(reminder.due_at, timezone, t)
    who = escape(reminder.customer.name) if reminder.customer else "—"
    return f"• {when if with_year else when[5:]} {who}: {escape(reminder.text[:text_limit])}"


def followups_text(t: Translate, groups: dict[str, list[Reminder]], timezone: str) -> str:
    titles = {"overdue": t("Overdue"), "today": t("Today"), "week": t("This week")}
    lines: list[str] = []
    for key, items in groups.items():
        if not items:
            continue
        lines.append(f"<b>{titles[key]}</b>")
        lines += [_followup_line(t, r, timezone, with_year=True, text_limit=80)
                  for r in items[:20]]
    return "\n".join(lines) if lines else t("No follow-ups due this week. 🎉")


def followups_keyboard(reminders: list[Reminder], timezone: str, t: Translate
                       ) -> InlineKeyboardMarkup:
    rows = []
    for reminder in reminders[:20]:
        who = reminder.customer.name if reminder.customer else "—"
        rows.append([button(f"{local_time(reminder.due_at, timezone, t)[5:]} {who}"[:60],
                            f"r:{reminder.id}:open")])
    return InlineKeyboardMarkup(rows)


def nudges_keyboard(nudges: list[Reminder]) -> InlineKeyboardMarkup:
    """Two buttons a row, each opening one nudge with its own buttons."""
    buttons = [button(("🔕 " if n.kind == ReminderKind.QUIET else "🔎 ")
                      + (n.customer.name[:20] if n.customer else "—"), f"n:{n.id}:open")
               for n in nudges]
    return InlineKeyboardMarkup(rows_of(buttons, 2))


def _nudge_reason(t: Translate, nudge: Reminder, timezone: str) -> str:
    customer = nudge.customer
    if customer is None:
        return "—"
    name = f"<b>{escape(customer.name)}</b>"
    if nudge.kind == ReminderKind.QUIET:
        since = customer.last_contact_at
        return t("{name}: no contact since {when}").format(
            name=name, when=local_time(since, timezone, t)[:10] if since else t("never"))
    return t("{name}: details last confirmed {when}").format(
        name=name, when=local_time(customer.last_verified_at or customer.created_at,
                                   timezone, t)[:10])


def nudge_text(t: Translate, nudge: Reminder, timezone: str) -> str:
    """A stale-record nudge on its own: gone quiet, or "are these still right?"."""
    customer = nudge.customer
    if customer is None:
        return t("That reminder no longer exists.")
    head = f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>"
    if nudge.kind == ReminderKind.QUIET:
        return "\n".join([
            "🔕 " + t("Gone quiet") + " · " + head,
            _nudge_reason(t, nudge, timezone),
            "⭐ " + t("Tier: {tier} · Stage: {stage}").format(
                tier=tier_label(t, customer.tier), stage=stage_label(t, customer.stage)),
        ])
    lines = ["🔎 " + t("Are these still right?") + " · " + head]
    lines += [f"📞 {escape(format_phone(p, ''))}" for p in customer.contact_values("phone")]
    lines += [f"✉️ {escape(e)}" for e in customer.contact_values("email")]
    for field in ("company", "title"):
        value = getattr(customer, field)
        lines.append(f"{label(t, field).capitalize()}: {escape(value) if value else '—'}")
    lines.append(_nudge_reason(t, nudge, timezone))
    return "\n".join(lines)


VERIFY_FIELDS = ("phone", "email", "company", "title")


def nudge_keyboard(t: Translate, nudge: Reminder) -> InlineKeyboardMarkup:
    prefix = f"n:{nudge.id}"
    if nudge.kind == ReminderKind.QUIET:
        return InlineKeyboardMarkup([
            [button("📝 " + t("Log contact"), f"{prefix}:log"),
             button("⏰ " + t("Set follow-up"), f"{prefix}:followup")],
            [button("💤 " + t("Snooze a week"), f"{prefix}:snooze"),
             button("👌 " + t("Mark reviewed"), f"{prefix}:reviewed")],
        ])
    fixes = [button("✏️ " + label(t, f), f"c:{nudge.customer_id}:f:{f}") for f in VERIFY_FIELDS]
    return InlineKeyboardMarkup([
        [button("✅ " + t("All correct"), f"{prefix}:ok")], fixes[:2], fixes[2:],
        [button("💤 " + t("Snooze a week"), f"{prefix}:snooze")],
    ])

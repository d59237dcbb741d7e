"""Cards of service requests (工单): one before it is saved, one as it stands (with the
step buttons its status allows), the list, its reminder, and its line in the digest."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import button
from bot.messages.labels import (
    PRIORITY_LABELS,
    REQUEST_KIND_LABELS,
    REQUEST_STATUS_LABELS,
    local_time,
)
from storage.models import (
    Customer,
    RequestKind,
    RequestPriority,
    RequestStatus,
    ServiceRequest,
)
from storage.requests import ResponseTimes

PRIORITY_ICONS = {RequestPriority.URGENT: "🔴", RequestPriority.HIGH: "🟠",
                  RequestPriority.NORMAL: "🟢", RequestPriority.LOW: "⚪"}


def kind_words(t: Translate, kind: str) -> str:
    return t(REQUEST_KIND_LABELS[RequestKind(kind)])


def priority_words(t: Translate, priority: str) -> str:
    return f"{PRIORITY_ICONS[RequestPriority(priority)]} " + t(
        PRIORITY_LABELS[RequestPriority(priority)])


def status_words(t: Translate, status: str) -> str:
    return t(REQUEST_STATUS_LABELS[RequestStatus(status)])


def _who(t: Translate, customer: Customer | None) -> str:
    return (f"<b>{escape(customer.name)}</b> <code>{customer.code}</code>" if customer
            else "<i>" + t("no customer yet") + "</i>")


def request_card(t: Translate, *, customer: Customer | None, problem: str, kind: str,
                 priority: str, due: datetime | None, due_said: bool, assignee: str,
                 timezone: str) -> str:
    """What was understood from a request message, before it is saved."""
    when = local_time(due, timezone, t) if due else "—"
    if due is not None and not due_said:
        when += " " + t("(by its priority)")
    return "\n".join([
        "🛠 " + t("Service request") + f" · {_who(t, customer)}",
        f"“{escape(problem)}”",
        t("Kind: {kind} · Priority: {priority}").format(kind=kind_words(t, kind),
                                                        priority=priority_words(t, priority)),
        "⏰ " + t("Due: {when}").format(when=when),
        "👤 " + t("Assignee: {name}").format(name=escape(assignee)),
        t("Is this right?"),
    ])


def request_keyboard(t: Translate, *, can_assign: bool) -> InlineKeyboardMarkup:
    rows = [[button("✅ " + t("Save"), "req:save"), button("🏷 " + t("Kind"), "req:kind"),
             button("🚦 " + t("Priority"), "req:priority")],
            [button("⏰ " + t("Due time"), "req:due"), button("👥 " + t("Customer"), "req:who")]]
    if can_assign:
        rows.append([button("👤 " + t("Assign"), "req:assign")])
    rows.append([button("✖️ " + t("Cancel"), "req:cancel")])
    return InlineKeyboardMarkup(rows)


def request_view(t: Translate, request: ServiceRequest, timezone: str) -> str:
    """A request as it stands."""
    customer = request.customer
    lines = [f"🛠 #{request.id} · {_who(t, customer)} · {status_words(t, request.status)}",
             f"“{escape(request.problem)}”",
             t("Kind: {kind} · Priority: {priority}").format(
                 kind=kind_words(t, request.kind), priority=priority_words(t, request.priority)),
             "👤 " + t("Assignee: {name}").format(name=escape(request.assignee.display_name))]
    if request.due_at is not None and request.is_open:
        lines.append("⏰ " + t("Due: {when}").format(when=local_time(request.due_at, timezone, t)))
    if request.resolution and not request.is_open:
        lines.append("✅ " + t("Resolved {when}: {what}").format(
            when=local_time(request.resolved_at, timezone, t), what=escape(request.resolution)))
    return "\n".join(lines)


def request_actions(t: Translate, request: ServiceRequest, *, snooze: bool = False
                    ) -> InlineKeyboardMarkup:
    """The steps its status allows, the customer's card, and (under its reminder) the
    reminder's snooze."""
    prefix = f"rq:{request.id}"
    if request.is_open:
        rows = [[button("✅ " + t("Resolved…"), f"{prefix}:resolve")]]
        if request.status != RequestStatus.IN_PROGRESS:
            rows[0].append(button("▶️ " + t("Start"), f"{prefix}:start"))
        if request.reminder_id is not None and snooze:
            rows.append([button("🌅 " + t("Tomorrow 9:00"), f"r:{request.reminder_id}:tomorrow"),
                         button("📅 " + t("Next week"), f"r:{request.reminder_id}:nextweek")])
    else:
        rows = [[button("⭐ " + t("Survey link"), f"rq:{request.id}:survey"),
                 button("🔁 " + t("Reopen"), f"{prefix}:reopen")]]
    rows.append([button("📇 " + t("Open card"), f"c:{request.customer_id}:open")])
    return InlineKeyboardMarkup(rows)


def request_given(t: Translate, giver: str, request: ServiceRequest, timezone: str) -> str:
    """What the assignee is told when a manager gives them a request."""
    return "📥 " + t("{name} gave you a request:").format(name=escape(giver)) + "\n" + \
        request_view(t, request, timezone)


def request_reminder_text(t: Translate, request: ServiceRequest, timezone: str, *,
                          late: bool) -> str:
    lines = ["⏰ " + t("Request due") + f" · {request_view(t, request, timezone)}"]
    if late:
        lines.append("⌛ " + t("Late: the bot could not send this on time."))
    return "\n".join(lines)


def request_line(t: Translate, request: ServiceRequest, timezone: str, now: datetime) -> str:
    """🔴 #12 王小明 · fault · due 12-08 17:00 (overdue) · Bob: X1 漏油"""
    due = ""
    if request.due_at is not None:
        due = " · " + t("due {when}").format(when=local_time(request.due_at, timezone, t)[5:])
        if request.due_at < now:
            due += " ⚠️"
    return (f"{PRIORITY_ICONS[RequestPriority(request.priority)]} #{request.id} "
            f"<b>{escape(request.customer.name)}</b> · {kind_words(t, request.kind)}{due} · "
            f"{escape(request.assignee.display_name)}: {escape(request.problem[:60])}")


def requests_text(t: Translate, requests: list[ServiceRequest], timezone: str, now: datetime,
                  *, team: bool) -> str:
    if not requests:
        return t("No open requests. 🎉")
    title = t("Open requests of the team") if team else t("Your open requests")
    return "\n".join([f"<b>{title}</b>",
                      *(request_line(t, r, timezone, now) for r in requests)])


def requests_keyboard(requests: list[ServiceRequest]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(f"#{r.id} {r.customer.name}"[:40], f"rq:{r.id}:open")]
                                 for r in requests[:20]])


def open_requests_line(t: Translate, count: int) -> str | None:
    """The customer card's line: 🛠 2 open requests (/tickets)."""
    return "🛠 " + t("Open requests: {count}").format(count=count) if count else None


def response_times_lines(t: Translate, times: list[ResponseTimes]) -> list[str]:
    """Per member: requests opened and resolved, median first response and resolution."""
    def hours(value: float | None) -> str:
        return "—" if value is None else t("{hours} h").format(hours=f"{value:g}")
    return [t("{name}: {opened} opened, {resolved} resolved; first response {first}, "
              "resolution {resolution} (medians)").format(
        name=escape(line.member), opened=line.opened, resolved=line.resolved,
        first=hours(line.first_response_hours), resolution=hours(line.resolution_hours))
        for line in times]

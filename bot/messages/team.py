"""The team: members and their roles, pickers of members, the managers' weekly summary."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.messages.digest import churn_words
from bot.messages.i18n import N_, Translate
from bot.messages.keyboards import button, rows_of
from bot.messages.labels import local_time
from bot.messages.requests import response_times_lines
from bot.messages.targets import attainment_line, period_head, ranking_lines
from bot.understanding.amounts import Money, format_money
from storage.models import (
    User,
)
from storage.targets import ranking, team_totals
from storage.team import MemberLine, WeeklySummary


def weekly_text(t: Translate, summary: WeeklySummary, timezone: str) -> str:
    lines = ["📊 " + t("Team week since {when}").format(
        when=local_time(summary.since, timezone, t)[:10]),
        t("New customers: {new} · Contacts logged: {logged} · Follow-ups overdue: {overdue}")
        .format(new=summary.new_customers, logged=summary.interactions,
                overdue=summary.overdue), ""]
    for rep in summary.reps:
        lines.append("• " + t("{name}: {new} new, {logged} contacts, {overdue} overdue").format(
            name=escape(rep.name), new=rep.new_customers, logged=rep.interactions,
            overdue=rep.overdue))
    if summary.collected or summary.owed:
        lines.append("\n💴 " + t("Collected this week: {collected} · still owed: {owed}").format(
            collected=_sums(summary.collected), owed=_sums(summary.owed)))
    if summary.targets and summary.period is not None:
        lines.append("\n🎯 " + period_head(t, summary.period, summary.targets[0].pace))
        lines += ["  " + attainment_line(t, row) for row in team_totals(summary.targets)]
        lines.append("🏆 " + t("Ranking (mean attainment)"))
        lines += ranking_lines(t, ranking(summary.targets))
    if summary.requests:
        lines.append("\n🛠 " + t("Service requests opened this week:"))
        lines += ["• " + line for line in response_times_lines(t, summary.requests)]
    if summary.churn_total:
        lines.append("\n<b>" + t("Slipping away: {count} customers").format(
            count=summary.churn_total) + "</b>")
        lines += [f"• <b>{escape(s.customer.name)}</b>"
                  + (f" ({escape(s.customer.owner.display_name)})" if s.customer.owner else "")
                  + f": {churn_words(t, s.value.churn)}" for s in summary.churn if s.value.churn]
    return "\n".join(lines)


def _sums(minor_by_currency: dict[str, int]) -> str:
    return " + ".join(format_money(Money.from_minor(minor, currency))
                      for currency, minor in sorted(minor_by_currency.items())) or "—"


def team_text(t: Translate, members: list[MemberLine]) -> str:
    lines = ["👥 " + t("The team ({count})").format(count=len(members))]
    for line in members:
        lines.append("• " + t("{name} ({role}): {customers} customers, {open} open follow-ups, "
                              "{overdue} overdue").format(
            name=escape(line.user.display_name), role=t(ROLE_LABELS.get(line.user.role, "rep")),
            customers=line.customers, open=line.open_followups, overdue=line.overdue))
    return "\n".join(lines)


ROLE_LABELS = {"admin": N_("admin"), "manager": N_("manager"), "rep": N_("rep")}


def members_keyboard(members: list[User], prefix: str, *, marked: set[int] | None = None
                     ) -> InlineKeyboardMarkup:
    """One button per member, `prefix:<user id>`; marked ones carry a tick."""
    buttons = [button(("✓ " if marked and m.id in marked else "") + m.display_name[:30],
                      f"{prefix}:{m.id}") for m in members]
    return InlineKeyboardMarkup(rows_of(buttons, 2))

"""The morning digest: today's follow-ups, customers slipping away, tiers to change."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import Translate
from bot.messages.keyboards import button, rows_of
from bot.messages.labels import tier_label
from bot.messages.payments import overdue_collection_line
from bot.messages.reminders import (
    _followup_line,
    _nudge_reason,
    followups_keyboard,
    nudges_keyboard,
)
from bot.messages.requests import request_line
from bot.messages.sales import deal_line
from bot.messages.targets import attainment_line, period_head
from bot.understanding.amounts import Money, format_money
from storage.clock import utcnow
from storage.reminders import Digest
from storage.sales.value import Suggestion


def digest_text(t: Translate, digest: Digest, timezone: str, currency: str = "CNY",
                today: date | None = None) -> str:
    lines = ["☀️ " + t("Your day")]
    for period, rows in digest.targets:
        lines.append("\n<b>🎯 " + period_head(t, period, rows[0].pace) + "</b>")
        lines += [attainment_line(t, row) for row in rows]
    today = today or utcnow().astimezone(ZoneInfo(timezone)).date()
    sections = ((t("Overdue"), digest.overdue), (t("Today"), digest.today))
    for title, items in sections:
        if items:
            lines.append(f"\n<b>{title}</b>")
            lines += [_followup_line(t, r, timezone, with_year=False, text_limit=60)
                      for r in items[:10]]
    if digest.nudges:
        lines.append("\n<b>" + t("Needs a look") + "</b>")
        lines += ["• " + _nudge_reason(t, n, timezone) for n in digest.nudges]
    if digest.collections:
        lines.append("\n<b>" + t("Money to collect, overdue") + "</b>")
        lines += ["• " + overdue_collection_line(t, installment, customer, today)
                  for installment, customer in digest.collections]
    if digest.requests:
        lines.append("\n<b>" + t("Requests overdue") + "</b>")
        lines += ["• " + request_line(t, r, timezone, utcnow()) for r in digest.requests]
    if digest.deals:
        lines.append("\n<b>" + t("Deals past their close date") + "</b>")
        lines += ["• " + deal_line(t, d) for d in digest.deals]
    if digest.churn:
        lines.append("\n<b>" + t("Slipping away") + "</b>")
        lines += [f"• <b>{escape(s.customer.name)}</b>: {churn_words(t, s.value.churn)}"
                  for s in digest.churn if s.value.churn]
    if digest.tiers:
        lines.append("\n<b>" + t("Tier suggestions") + "</b>")
        lines += ["• " + tier_suggestion_line(t, s, currency) for s in digest.tiers]
    return "\n".join(lines)


def churn_words(t: Translate, churn: dict[str, Any]) -> str:
    """A churn warning's reason in words (the rule and numbers storage/sales/value.py keeps)."""
    rule = churn.get("rule")
    if rule == "overdue":
        return t("no purchase for {days} days; usually every {usual} days").format(
            days=churn["days"], usual=churn["usual"])
    if rule == "falling":
        return t("{now} purchases in the last 90 days, {before} a quarter before").format(
            now=churn["now"], before=churn["before"])
    if rule == "complaint":
        return t("complained on {date}").format(date=churn["on"])
    if rule == "returned":
        return t("sent goods back on {date}").format(date=churn["on"])
    if rule == "low_score":
        return t("satisfaction {score}/5 on {date}").format(score=churn["score"],
                                                           date=churn["on"])
    return t("slipping away")


def tier_suggestion_line(t: Translate, suggestion: Suggestion, currency: str) -> str:
    """王小明: normal → core (3 purchases in the last year, ¥86,000, the last 5 days ago)"""
    value, customer = suggestion.value, suggestion.customer
    assert value.suggested_tier is not None
    return t("<b>{name}</b>: {before} → {after} ({count} purchases in the last year, "
             "{amount}, the last {days} days ago)").format(
        name=escape(customer.name), before=tier_label(t, customer.tier),
        after=tier_label(t, value.suggested_tier), count=value.frequency,
        amount=format_money(Money.from_minor(value.monetary_minor, currency)),
        days=value.recency_days)


def digest_keyboard(digest: Digest, timezone: str, t: Translate) -> InlineKeyboardMarkup:
    rows = followups_keyboard(digest.overdue + digest.today, timezone, t).inline_keyboard
    deals = [button(f"💼 #{d.id} {d.title}"[:40], f"deal:{d.id}:open") for d in digest.deals[:4]]
    tickets = [button(f"🛠 #{r.id} {r.customer.name}"[:40], f"rq:{r.id}:open")
               for r in digest.requests[:4]]
    churn = [[button(f"📞 {s.customer.name}"[:30], f"c:{s.customer.id}:open"),
              button("⏰ " + t("Follow-up"), f"churn:{s.customer.id}:remind"),
              button("🙈 " + t("30 days"), f"churn:{s.customer.id}:quiet")]
             for s in digest.churn[:4]]
    tiers = [[button(f"⭐ {s.customer.name} → {tier_label(t, s.value.suggested_tier or '')}"[:40],
                     f"tiers:{s.customer.id}:{s.value.suggested_tier}"),
              button(t("Keep {tier}").format(tier=tier_label(t, s.customer.tier)),
                     f"tiers:{s.customer.id}:keep")] for s in digest.tiers[:4]]
    return InlineKeyboardMarkup([*rows[:8], *nudges_keyboard(digest.nudges).inline_keyboard,
                                 *rows_of(tickets, 2), *rows_of(deals, 2), *churn, *tiers])

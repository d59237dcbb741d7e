"""Targets and attainment in chat: a bar per member and metric, the pace in words."""

from __future__ import annotations

from html import escape

from bot.messages.i18n import N_, Translate
from bot.understanding.amounts import Money, format_money
from storage.models import MONEY_METRICS, TargetMetric
from storage.targets import Attainment, Period

METRIC_LABELS = {
    TargetMetric.REVENUE: N_("Revenue"), TargetMetric.COLLECTED: N_("Collected"),
    TargetMetric.NEW_CUSTOMERS: N_("New customers"), TargetMetric.CONTACTS: N_("Contacts"),
    TargetMetric.DEALS_WON: N_("Deals won"),
}
BAR_CELLS = 10
ON_PACE = 0.005  # within half a point of the pace is on it


def metric_label(t: Translate, metric: TargetMetric) -> str:
    return t(METRIC_LABELS[metric])


def figure(metric: TargetMetric, amount: int, currency: str | None) -> str:
    if metric in MONEY_METRICS and currency:
        return format_money(Money.from_minor(amount, currency))
    return str(amount)


def bar(share: float) -> str:
    """▰▰▰▰▰▰▱▱▱▱: the share done, in tenths (full past 100%)."""
    full = min(BAR_CELLS, round(share * BAR_CELLS))
    return "▰" * full + "▱" * (BAR_CELLS - full)


def pace_words(t: Translate, row: Attainment) -> str:
    if row.share >= 1:
        return "✅ " + t("reached")
    if abs(row.ahead) < ON_PACE:
        return t("on pace")
    points = f"{abs(row.ahead):.0%}"
    return (t("ahead of pace {points}") if row.ahead > 0
            else t("behind pace {points}")).format(points=points)


def attainment_line(t: Translate, row: Attainment) -> str:
    """Collected ▰▰▰▰▰▰▱▱▱▱ ¥320,000 / ¥500,000 · 64% · behind pace 6%"""
    return (f"{metric_label(t, row.metric)} {bar(row.share)} "
            f"{figure(row.metric, row.done, row.currency)} / "
            f"{figure(row.metric, row.goal, row.currency)} · {row.share:.0%} · "
            f"{pace_words(t, row)}")


def period_head(t: Translate, period: Period, pace: float) -> str:
    """2026-12 · 23% of the period gone"""
    return t("{period} · {gone} of the period gone").format(period=period.label,
                                                             gone=f"{pace:.0%}")


def attainment_text(t: Translate, period: Period, rows: list[Attainment], *,
                    title: str) -> str:
    """Per member (or for one), each metric's bar; nothing set: says so."""
    if not rows:
        return "🎯 " + title + "\n" + t("No targets for {period}.").format(period=period.label)
    lines = ["🎯 " + title + " · " + period_head(t, period, rows[0].pace)]
    names = {row.user_id for row in rows}
    for user_id in sorted(names, key=lambda u: next(r.name for r in rows if r.user_id == u)):
        mine = [row for row in rows if row.user_id == user_id]
        if len(names) > 1:
            lines.append(f"👤 <b>{escape(mine[0].name)}</b>")
        lines += [("  " if len(names) > 1 else "") + attainment_line(t, row) for row in mine]
    return "\n".join(lines)


def ranking_lines(t: Translate, ranked: list[tuple[str, float]]) -> list[str]:
    """1. 张三 86% (the mean attainment of their targets)"""
    return [f"{n}. {escape(name)} {share:.0%}" for n, (name, share) in
            enumerate(ranked, start=1)]


def targets_usage(t: Translate) -> str:
    return t("Set targets like this: /target 张三 12月 回款 50万 新客户 10, or /target Bob Q1 "
             "revenue $200k deals won 5. Metrics: revenue (业绩), collected (回款), new "
             "customers (新客户), contacts (拜访), deals won (赢单).")

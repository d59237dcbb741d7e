"""/stats in words: the numbers, the charts one can pick and their titles."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.messages.i18n import N_, Translate
from bot.messages.keyboards import button, rows_of
from bot.messages.requests import response_times_lines
from bot.understanding.amounts import Money, format_money
from storage.requests import ResponseTimes
from storage.sales.stats import Overview
from storage.surveys import SurveyFigures

CHARTS = {"region": N_("Customers by region"), "purchases": N_("Purchases per month"),
          "funnel": N_("Pipeline funnel"), "tiers": N_("Customers by tier"),
          "activity": N_("Contacts logged per member per week"),
          "collections": N_("Money due and collected per month")}
PERIODS = {"90": 3, "365": 12}  # days -> months shown


def chart_title(t: Translate, kind: str) -> str:
    return t(CHARTS[kind])


def stats_text(t: Translate, overview: Overview, *, open_deals: int, open_minor: int,
               currency: str, satisfaction: tuple[float | None, int], churn: int,
               said: SurveyFigures | None = None,
               requests: list[ResponseTimes] | None = None) -> str:
    mean, scores = satisfaction
    lines = ["📊 " + t("The numbers"), "",
             t("Customers: {count}").format(count=overview.customers),
             t("Purchases since {when}: {count}, {amount}").format(
                 when=overview.since.date().isoformat(), count=overview.purchases,
                 amount=format_money(Money.from_minor(overview.purchased_minor, currency))),
             t("Open deals: {count}, {amount}").format(
                 count=open_deals, amount=format_money(Money.from_minor(open_minor, currency)))]
    if mean is not None:  # what members noted, kept apart from what customers said
        lines.append(t("Satisfaction: {mean}/5 from {count} scores").format(
            mean=f"{mean:.1f}", count=scores))
    if said is not None and said.answers:
        lines.append(t("Customers said (surveys): {count} answers, {mean}/5").format(
            count=said.answers, mean=f"{said.mean_stars:.1f}")
            + ("" if said.net_promoter is None else
               " · " + t("NPS {score}").format(score=f"{said.net_promoter:+d}")))
    if requests:
        lines += ["", "🛠 " + t("Service requests opened in the period:"),
                  *("• " + line for line in response_times_lines(t, requests))]
    if churn:
        lines.append(t("Slipping away: {count} customers").format(count=churn))
    lines += ["", t("Pick a chart:")]
    return "\n".join(lines)


def stats_keyboard(t: Translate, period: str = "365", segment_id: int = 0
                   ) -> InlineKeyboardMarkup:
    charts = [button(chart_title(t, kind), f"chart:{kind}:{period}:{segment_id}")
              for kind in CHARTS]
    periods = [button(("• " if days == period else "") + t("{months} months").format(
        months=months), f"stats:{days}:{segment_id}") for days, months in PERIODS.items()]
    return InlineKeyboardMarkup([*rows_of(charts, 2), periods])

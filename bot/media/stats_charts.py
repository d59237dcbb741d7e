"""The charts of /stats and the Mini App's dashboard as data, in the reader's language,
over what the member may see (drawn by bot/media/charts.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from bot.media.charts import ChartData
from bot.messages.i18n import Translate
from bot.messages.labels import deal_stage_label, tier_label
from bot.messages.stats import PERIODS, chart_title
from bot.understanding.amounts import Money, format_money
from storage.clock import utcnow
from storage.models import OPEN_DEAL_STAGES, Tier
from storage.sales import stats
from storage.sales.deals import StageSum, pipeline
from storage.sales.receivables import collections_by_month
from storage.sales.stats import Activity, months_back
from storage.users import Actor


def _major(minor: int, currency: str) -> float:
    return float(Money.from_minor(minor, currency).amount)


def region_chart(t: Translate, rows: list[tuple[str | None, int]]) -> ChartData:
    return ChartData("barh", chart_title(t, "region"),
                     [region or t("other / not given") for region, _ in rows],
                     [("", [float(count) for _, count in rows])])


def tiers_chart(t: Translate, counts: dict[str, int]) -> ChartData:
    tiers = [tier for tier in Tier if counts.get(tier.value)]
    return ChartData("pie", chart_title(t, "tiers"), [tier_label(t, tier) for tier in tiers],
                     [("", [float(counts[tier.value]) for tier in tiers])])


def purchases_chart(t: Translate, by_month: dict[str, int], *, now: datetime, months: int,
                    currency: str) -> ChartData:
    keys = months_back(now, months)
    this_year = [_major(by_month.get(key, 0), currency) for key in keys]
    last_year_keys = [f"{int(key[:4]) - 1}{key[4:]}" for key in keys]
    last_year = [_major(by_month.get(key, 0), currency) for key in last_year_keys]
    series = [(t("this year"), this_year)]
    if any(last_year):
        series.append((t("a year before"), last_year))
    symbol = format_money(Money.from_minor(0, currency)).rstrip("0")
    return ChartData("line", chart_title(t, "purchases"), [key[2:] for key in keys], series,
                     value_format=symbol + "{:,.0f}")


def funnel_chart(t: Translate, sums: list[StageSum], currency: str) -> ChartData:
    open_sums = [s for s in sums if s.stage in {stage.value for stage in OPEN_DEAL_STAGES}]
    labels = [f"{deal_stage_label(t, s.stage)} "
              f"{format_money(Money.from_minor(s.totals.get(currency, 0), currency))}"
              for s in open_sums]
    return ChartData("funnel", chart_title(t, "funnel"), labels,
                     [("", [float(s.count) for s in open_sums])])


def activity_chart(t: Translate, activity: Activity) -> ChartData:
    return ChartData("bar", chart_title(t, "activity"), activity.weeks,
                     [(name, [float(c) for c in counts])
                      for name, counts in activity.members.items()])


def collections_chart(t: Translate, by_month: dict[str, tuple[int, int]], *, now: datetime,
                      months: int, currency: str) -> ChartData:
    """Due and collected side by side per month; the period's collection rate below."""
    keys = months_back(now, months)
    due = [_major(by_month.get(key, (0, 0))[0], currency) for key in keys]
    paid = [_major(by_month.get(key, (0, 0))[1], currency) for key in keys]
    symbol = format_money(Money.from_minor(0, currency)).rstrip("0")
    note = t("Collected {rate:.0%} of what fell due").format(rate=sum(paid) / sum(due)) \
        if sum(due) else ""
    return ChartData("bar", chart_title(t, "collections"), [key[2:] for key in keys],
                     [(t("due"), due), (t("collected"), paid)] if any(due) or any(paid)
                     else [], value_format=symbol + "{:,.0f}", note=note)


async def chart_of(session: AsyncSession, actor: Actor, t: Translate, kind: str, *,
                   period: str, currency: str, extra: ColumnElement[bool] | None = None
                   ) -> ChartData:
    """One chart's data (`kind` is a key of CHARTS) over what the member may see: the
    chat's photo and the Mini App's dashboard are drawn from this."""
    if kind == "region":
        return region_chart(t, await stats.by_region(session, actor, extra))
    if kind == "tiers":
        return tiers_chart(t, await stats.by_tier(session, actor, extra))
    if kind == "funnel":
        return funnel_chart(t, await pipeline(session, actor, team=True, extra=extra),
                            currency)
    now = utcnow()
    if kind == "activity":
        return activity_chart(t, await stats.contacts_per_member(
            session, actor, now=now, weeks=PERIODS[period] * 4 if period == "90" else 12,
            extra=extra))
    months = PERIODS[period]
    if kind == "collections":
        first = months_back(now, months)[0]
        return collections_chart(t, await collections_by_month(
            session, actor, currency=currency, since=date(int(first[:4]), int(first[5:7]), 1)),
            now=now, months=months, currency=currency)
    return purchases_chart(t, await stats.purchases_by_month(
        session, actor, currency=currency, now=now, months=months, extra=extra),
        now=now, months=months, currency=currency)

"""/stats: the numbers in words, and a chart as a picture with one tap (and a period)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import charts
from bot.charts import ChartData
from bot.context import BotContext
from bot.stats_charts import (
    PERIODS,
    activity_chart,
    funnel_chart,
    purchases_chart,
    region_chart,
    stats_keyboard,
    stats_text,
    tiers_chart,
)
from handlers.common import acknowledge, pressed, say
from storage import deals, satisfaction, stats, value
from storage.clock import utcnow
from storage.models import OPEN_DEAL_STAGES

CHART = re.compile(r"^chart:(region|purchases|funnel|tiers|activity):(90|365)$")
PERIOD = re.compile(r"^stats:(90|365)$")


async def _overview(context: BotContext, period: str) -> str:
    currency = context.settings.sales.currency
    async with context.unit_of_work() as session:
        overview = await stats.overview(session, context.member, currency=currency,
                                        since=utcnow() - timedelta(days=int(period)))
        sums = await deals.pipeline(session, context.member, team=True)
        open_sums = [s for s in sums if s.stage in {st.value for st in OPEN_DEAL_STAGES}]
        return stats_text(
            context.t, overview, open_deals=sum(s.count for s in open_sums),
            open_minor=sum(s.totals.get(currency, 0) for s in open_sums), currency=currency,
            satisfaction=await satisfaction.average(session),
            churn=await value.count_churn_warnings(session) if context.member.is_manager
            else 0)


async def stats_command(update: Update, context: BotContext) -> None:
    charts.warm()  # the member picks a chart while matplotlib loads in its process
    await say(update, context, await _overview(context, "365"), stats_keyboard(context.t))


async def period_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, PERIOD)
    if match is None:
        return
    await acknowledge(update)
    period = match.group(1)
    await say(update, context, await _overview(context, period),
              stats_keyboard(context.t, period), edit=True)


async def chart_data(context: BotContext, kind: str, period: str) -> ChartData:
    t, member, now = context.t, context.member, utcnow()
    currency = context.settings.sales.currency
    async with context.unit_of_work() as session:
        if kind == "region":
            return region_chart(t, await stats.by_region(session, member))
        if kind == "tiers":
            return tiers_chart(t, await stats.by_tier(session, member))
        if kind == "funnel":
            return funnel_chart(t, await deals.pipeline(session, member, team=True), currency)
        if kind == "activity":
            return activity_chart(t, await stats.contacts_per_member(
                session, member, now=now, weeks=PERIODS[period] * 4 if period == "90" else 12))
        months = PERIODS[period]
        return purchases_chart(t, await stats.purchases_by_month(
            session, member, currency=currency, now=now, months=months), now=now,
            months=months, currency=currency)


async def send_chart(update: Update, context: BotContext, chart: ChartData) -> None:
    """The picture, or in words that there is nothing to draw yet."""
    chat = update.effective_chat
    if chat is None:
        return
    if chart.empty:
        await say(update, context, "📭 " + context.t(
            "No data for “{title}” yet.").format(title=chart.title))
        return
    await context.bot.send_photo(chat.id, await charts.picture(chart), caption=chart.title)


async def chart_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, CHART)
    if match is None:
        return
    await acknowledge(update)
    await send_chart(update, context, await chart_data(context, match.group(1), match.group(2)))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CallbackQueryHandler(period_pressed, pattern=r"^stats:"))
    app.add_handler(CallbackQueryHandler(chart_pressed, pattern=r"^chart:"))

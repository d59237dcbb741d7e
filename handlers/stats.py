"""/stats: the numbers in words, and a chart as a picture with one tap (and a period)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.media import charts
from bot.media.charts import ChartData
from bot.media.stats_charts import chart_of
from bot.messages.stats import stats_keyboard, stats_text
from bot.runtime.context import BotContext
from bot.understanding.filters import condition_of_words
from handlers.common import acknowledge, pressed, say
from storage.clock import utcnow
from storage.models import OPEN_DEAL_STAGES
from storage.requests import response_times
from storage.sales import deals, satisfaction, stats, value
from storage.sales.segments import all_segments, load_segment
from storage.surveys import survey_figures

CHART = re.compile(r"^chart:(region|purchases|funnel|tiers|activity|collections):(90|365)"
                   r"(?::(\d{1,10}))?$")
PERIOD = re.compile(r"^stats:(90|365)(?::(\d{1,10}))?(:new)?$")  # new: a message of its own


async def _segment(session: AsyncSession, context: BotContext, segment_id: int
                   ) -> tuple[str | None, ColumnElement[bool] | None]:
    """A segment's name and the customers it chooses; (None, None) for everybody."""
    if not segment_id:
        return None, None
    segment = await load_segment(session, segment_id)
    return segment.name, await condition_of_words(session, context.member, segment.query)


async def _overview(context: BotContext, period: str, segment_id: int) -> str:
    currency = context.settings.sales.currency
    async with context.unit_of_work() as session:
        name, extra = await _segment(session, context, segment_id)
        since = utcnow() - timedelta(days=int(period))
        overview = await stats.overview(session, context.member, currency=currency,
                                        since=since, extra=extra)
        sums = await deals.pipeline(session, context.member, team=True, extra=extra)
        open_sums = [s for s in sums if s.stage in {st.value for st in OPEN_DEAL_STAGES}]
        text = stats_text(
            context.t, overview, open_deals=sum(s.count for s in open_sums),
            open_minor=sum(s.totals.get(currency, 0) for s in open_sums), currency=currency,
            satisfaction=await satisfaction.average(session),
            said=await survey_figures(session, context.member, since),
            requests=await response_times(session, context.member, since)
            if extra is None else None,
            churn=await value.count_churn_warnings(session)
            if context.member.is_manager and extra is None else 0)
    return f"🗂 <b>{escape(name)}</b>\n{text}" if name else text


async def stats_command(update: Update, context: BotContext) -> None:
    charts.warm()  # the member picks a chart while matplotlib loads in its process
    segment_id = 0
    if context.args:  # /stats seg:NAME
        async with context.unit_of_work() as session:
            words = " ".join(context.args)
            await condition_of_words(session, context.member, words)  # unknown words refused
            found = [s for s in await all_segments(session) if f"seg:{s.name}" in words]
            segment_id = found[0].id if found else 0
    await say(update, context, await _overview(context, "365", segment_id),
              stats_keyboard(context.t, "365", segment_id))


async def period_pressed(update: Update, context: BotContext) -> None:
    match = await pressed(update, context, PERIOD)
    if match is None:
        return
    await acknowledge(update)
    period, segment_id = match.group(1), int(match.group(2) or 0)
    charts.warm()
    await say(update, context, await _overview(context, period, segment_id),
              stats_keyboard(context.t, period, segment_id), edit=not match.group(3))


async def chart_data(context: BotContext, kind: str, period: str, segment_id: int = 0
                     ) -> ChartData:
    async with context.unit_of_work() as session:
        _, extra = await _segment(session, context, segment_id)
        return await chart_of(session, context.member, context.t, kind, period=period,
                              currency=context.settings.sales.currency, extra=extra)


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
    await send_chart(update, context, await chart_data(
        context, match.group(1), match.group(2), int(match.group(3) or 0)))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CallbackQueryHandler(period_pressed, pattern=r"^stats:"))
    app.add_handler(CallbackQueryHandler(chart_pressed, pattern=r"^chart:"))

"""Targets: /target (managers set a member's, in one line or through 🎯 in /team), /targets
(the team's attainment, with totals and the ranking; a rep sees their own), /me (one's
own, this month and quarter, or a period named: /me 11月).
"""

from __future__ import annotations

import re
from datetime import date
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.messages.keyboards import button, rows_of
from bot.messages.targets import attainment_line, attainment_text, ranking_lines, targets_usage
from bot.messages.team import members_keyboard
from bot.runtime.context import BotContext
from bot.understanding.targets import find_period, understand_targets
from handlers.common import PRIVATE_TEXT, acknowledge, cancel_flow, forget, pressed, say
from storage import targets, team
from storage.clock import utcnow
from storage.errors import N_, ValidationFailed
from storage.models import User
from storage.targets import Period, month_of, period_named, quarter_of
from storage.users import ensure_manager

WAIT_GOALS = 0


def _today(context: BotContext) -> date:
    return utcnow().astimezone(ZoneInfo(context.member.timezone)).date()


def _named(text: str, members: list[User]) -> tuple[User | None, str]:
    """The member `text` names (the longest display name or @username in it) and the text
    without it."""
    folded = text.casefold()
    best: tuple[int, User, str] | None = None
    for member in members:
        for name in filter(None, (member.display_name,
                                  f"@{member.username}" if member.username else None)):
            at = folded.find(name.casefold())
            if at >= 0 and (best is None or len(name) > best[0]):  # the active first, on ties
                best = (len(name), member, text[:at] + " " + text[at + len(name):])
    return (best[1], best[2]) if best else (None, text)


async def _save(update: Update, context: BotContext, member: User, text: str,
                period: Period | None = None) -> None:
    """The goals said in `text` for `member` (the period said, or `period`), then where
    they stand."""
    today = _today(context)
    words = understand_targets(text, today, context.settings.sales.currency)
    if period is not None and not words.said_period:
        words.period = period
    if words.unread:
        raise ValidationFailed("target", N_("No number after “{words}”."),
                               words="”, “".join(words.unread))
    async with context.unit_of_work() as session:
        await targets.set_targets(session, context.member, member.id, words.period,
                                  words.goals, today)
        rows = await targets.attainment(session, words.period, today,
                                        context.member.timezone, user_ids=[member.id])
    await say(update, context, "✅ " + context.t("Targets saved.") + "\n\n" + attainment_text(
        context.t, words.period, rows, title=escape(member.display_name)))


async def target_command(update: Update, context: BotContext) -> None:
    ensure_manager(context.member)
    message = update.effective_message
    assert message is not None
    text = (message.text or "").partition(" ")[2].strip()
    async with context.unit_of_work() as session:
        members = await team.every_member(session)
    member, rest = _named(text, members)
    if member is None:
        await say(update, context, ("⚠️ " + context.t(
            "Which member? Name them as the team knows them.") + "\n" if text else "")
            + targets_usage(context.t))
        return
    await _save(update, context, member, rest)


async def targets_command(update: Update, context: BotContext) -> None:
    """The team's attainment for a period (this month unless one is named)."""
    message = update.effective_message
    text = (message.text or "").partition(" ")[2] if message else ""
    today = _today(context)
    said = find_period(text, today, past=True)
    period = said[0] if said else month_of(today)
    mine = None if context.member.is_manager else [context.member.user_id]
    async with context.unit_of_work() as session:
        rows = await targets.attainment(session, period, today,
                                        context.member.timezone, user_ids=mine)
    t = context.t
    lines = [attainment_text(t, period, rows, title=t("Targets of the team") if mine is None
                             else escape(context.member.display_name))]
    if mine is None and len({r.user_id for r in rows}) > 1:
        lines += ["", "Σ " + t("The team"),
                  *("  " + attainment_line(t, row) for row in targets.team_totals(rows)),
                  "", "🏆 " + t("Ranking (mean attainment)"),
                  *ranking_lines(t, targets.ranking(rows))]
    if mine is None:
        lines += ["", targets_usage(t)]
    await say(update, context, "\n".join(lines))


async def me_command(update: Update, context: BotContext) -> None:
    """One's own attainment: this month and this quarter, or the period named."""
    message = update.effective_message
    text = (message.text or "").partition(" ")[2] if message else ""
    today = _today(context)
    said = find_period(text, today, past=True)
    periods = [said[0]] if said else [month_of(today), quarter_of(today)]
    t, me = context.t, context.member
    parts = []
    async with context.unit_of_work() as session:
        for period in periods:
            rows = await targets.attainment(session, period, today,
                                            context.member.timezone,
                                            user_ids=[me.user_id])
            if rows or said:
                parts.append(attainment_text(t, period, rows, title=escape(me.display_name)))
        if not parts:
            earlier = await targets.periods_with_targets(session, me.user_id)
            parts.append("🎯 " + t("No targets for you this month or quarter.") + (
                "\n" + t("Earlier: {periods} (e.g. /me {period})").format(
                    periods=", ".join(earlier), period=earlier[0]) if earlier else ""))
    await say(update, context, "\n\n".join(parts))


# ---- 🎯 through buttons from /team ----------------------------------------------------

PERIOD_CHOICES = (N_("This month"), N_("Next month"), N_("This quarter"), N_("Next quarter"))


def _period_choices(today: date) -> list[Period]:
    this_month, this_quarter = month_of(today), quarter_of(today)
    return [this_month, month_of(this_month.end), this_quarter, quarter_of(this_quarter.end)]


async def pick_member(update: Update, context: BotContext) -> int:
    ensure_manager(context.member)
    await acknowledge(update)
    async with context.unit_of_work() as session:
        members = [m for m in await team.active_members(session)
                   if m.id != context.member.user_id]
    await say(update, context, "🎯 " + context.t("Whose targets?"),
              members_keyboard(members, "tg:m"))
    return WAIT_GOALS


async def pick_period(update: Update, context: BotContext) -> int:
    match = await pressed(update, context, re.compile(r"^tg:m:(\d{1,10})$"))
    if match is None:
        return ConversationHandler.END
    await acknowledge(update)
    today, t = _today(context), context.t
    choices = [button(f"{t(label)} ({period.label})", f"tg:p:{match.group(1)}:{period.label}")
               for label, period in zip(PERIOD_CHOICES, _period_choices(today), strict=True)]
    await say(update, context, "🎯 " + t("For which period?"),
              InlineKeyboardMarkup(rows_of(choices, 2)), edit=True)
    return WAIT_GOALS


async def ask_goals(update: Update, context: BotContext) -> int:
    match = await pressed(update, context,
                          re.compile(r"^tg:p:(\d{1,10}):(\d{4}-(?:\d{2}|Q[1-4]))$"))
    if match is None:
        return ConversationHandler.END
    await acknowledge(update)
    async with context.unit_of_work() as session:
        member = await team.active_member(session, int(match.group(1)))
    context.user_data["target"] = {"member": member.id,  # type: ignore[index]
                                   "period": match.group(2)}
    await say(update, context, "🎯 " + context.t(
        "Targets of {name} for {period}: send them, e.g. 回款 50万 新客户 10, or revenue "
        "$200k deals won 5 (or /cancel).").format(name=escape(member.display_name),
                                                  period=match.group(2)), edit=True)
    return WAIT_GOALS


async def goals_answered(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = (context.user_data or {}).get("target")
    if not draft:
        return ConversationHandler.END
    async with context.unit_of_work() as session:
        member = await team.active_member(session, draft["member"])
    await _save(update, context, member, message.text, period_named(draft["period"]))
    forget(context, "target")
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    return await cancel_flow(update, context, "target")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("target", target_command))
    app.add_handler(CommandHandler("targets", targets_command))
    app.add_handler(CommandHandler("me", me_command))
    app.add_handler(ConversationHandler(
        name="target",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(pick_member, pattern=r"^tg:set$")],
        states={WAIT_GOALS: [
            CallbackQueryHandler(pick_period, pattern=r"^tg:m:\d{1,10}$"),
            CallbackQueryHandler(ask_goals, pattern=r"^tg:p:"),
            MessageHandler(PRIVATE_TEXT, goals_answered)]},
        fallbacks=[CommandHandler("cancel", cancel)],
    ))

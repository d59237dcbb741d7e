"""The due-reminder sweep: claim due rows, send each, confirm only what Telegram accepted."""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.media import charts
from bot.media.charts import ChartData
from bot.media.stats_charts import funnel_chart, purchases_chart
from bot.messages.digest import digest_keyboard, digest_text
from bot.messages.i18n import Translate, translator
from bot.messages.payments import installment_keyboard, installment_reminder_text
from bot.messages.reminders import nudge_keyboard, nudge_text, reminder_keyboard, reminder_text
from bot.messages.requests import request_actions, request_reminder_text
from bot.messages.team import weekly_text
from bot.runtime import metrics
from bot.runtime.config import ReminderSettings
from storage import nudges, reminders, requests, team
from storage.clock import utcnow
from storage.database import Database, is_disconnect
from storage.models import NUDGE_KINDS, ReminderKind, Role, User
from storage.sales import deals, payments, stats
from storage.users import Visibility, actor_for

log = logging.getLogger(__name__)
DISPATCHER = "reminder_dispatcher"


class Outcome(Enum):
    SENT = "sent"
    SETTLED = "settled"  # given up for good, or taken over by another sender
    RETRY = "retry"


def _retry_after(error: RetryAfter) -> timedelta:
    with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
        warnings.simplefilter("ignore")
        wait = error.retry_after
    return wait if isinstance(wait, timedelta) else timedelta(seconds=float(wait))


class ReminderDispatcher:
    """One per running bot; any number may share a database (claims keep them apart)."""

    def __init__(self, database: Database, bot: Bot, settings: ReminderSettings,
                 currency: str = "CNY") -> None:
        self.database = database
        self.bot = bot
        self.settings = settings
        self.currency = currency
        self._running = asyncio.Lock()
        self._sweeping: asyncio.Task[Any] | None = None
        self.stale_rule = settings.stale_rule()
        self._last_scan: datetime | None = None

    async def sweep(self) -> int:
        """Sends everything due now, batch by batch; returns how many were delivered."""
        if self._running.locked():
            return 0  # the previous sweep is still at it; it will take these too
        async with self._running:
            self._sweeping = asyncio.current_task()
            delivered = 0
            await self._plan_digests()
            await self._scan_stale()
            while True:
                claim = await self.database.once_more_if_disconnected(
                    lambda session: reminders.claim_due(
                        session, now=utcnow(), limit=self.settings.batch,
                        lease=timedelta(seconds=self.settings.lease_seconds)))
                if not claim.reminder_ids:
                    return delivered
                # Every delivery ends before the sweep does, a failed one too: gather would
                # otherwise return at the first error and leave the rest running on, past
                # a stop (cut_short cancels the sweep, and through it every delivery).
                finished = await asyncio.gather(
                    *(self._deliver(rid, claim.token) for rid in claim.reminder_ids),
                    return_exceptions=True)
                failed = [r for r in finished if isinstance(r, BaseException)]
                if failed:
                    raise failed[0]
                results = [r for r in finished if isinstance(r, Outcome)]
                delivered += results.count(Outcome.SENT)
                if all(r is Outcome.RETRY for r in results):
                    return delivered  # everything is backing off; the next sweep retries

    async def finished(self) -> None:
        """Returns when no sweep is running."""
        async with self._running:
            return

    def cut_short(self) -> None:
        """Cancels a sweep still running once the bot has stopped waiting for it: it must
        not go on sending through a Bot already shut down (an instance that lost the
        database lock goes on in the same process). What it claimed and did not confirm
        is due again when an instance takes over."""
        if self._running.locked() and self._sweeping is not None:
            self._sweeping.cancel()

    async def _plan_digests(self) -> None:
        if self.settings.digest_hour < 0:
            return
        try:
            async with self.database.unit_of_work() as session:
                await reminders.ensure_digests(session, utcnow(), self.settings.digest_hour)
                await team.ensure_weekly(session, utcnow(), self.settings.digest_hour)
        except IntegrityError:
            log.info("another instance planned the same digests first")

    async def _scan_stale(self) -> None:
        """Creates stale-record nudges every `scan_minutes` (the first sweep scans)."""
        now = utcnow()
        every = timedelta(minutes=self.settings.scan_minutes)
        if self._last_scan is not None and now - self._last_scan < every:
            return
        try:
            async with self.database.unit_of_work() as session:
                created = await nudges.scan(session, now, self.stale_rule)
        except Exception as error:  # delivery of what is due must not wait for a failing scan
            if not is_disconnect(error):
                log.exception("stale scan failed")
            return
        self._last_scan = now
        if created:
            log.info("stale scan: %d nudges", created)

    async def _deliver(self, reminder_id: int, token: str) -> Outcome:
        async with self.database.unit_of_work() as session:
            reminder = await reminders.claimed_reminder(session, reminder_id, token)
            if reminder is None:
                return Outcome.SETTLED  # another sender took it over
            user = reminder.user
            if not user.active or user.blocked_at is not None:
                await reminders.give_up(session, reminder_id, token, blocked=True)
                return Outcome.SETTLED
            t = translator(user.language)
            chat_id = user.telegram_id
            late = reminders.is_late(reminder, utcnow())
            shown: list[int] = []
            pictures: list[ChartData] = []
            if reminder.kind == ReminderKind.DIGEST:
                digest = await reminders.digest_for(session, user, utcnow())
                if digest.empty:
                    await reminders.nothing_to_send(session, reminder_id, token)
                    return Outcome.SETTLED
                text = digest_text(t, digest, user.timezone, self.currency)
                markup = digest_keyboard(digest, user.timezone, t)
                shown = [n.id for n in digest.nudges]
            elif reminder.kind == ReminderKind.WEEKLY:
                if user.role not in (Role.ADMIN, Role.MANAGER):
                    await reminders.nothing_to_send(session, reminder_id, token, cancel=True)
                    return Outcome.SETTLED
                text = weekly_text(t, await team.weekly_summary(session, utcnow(), user.timezone),
                                   user.timezone)
                markup = None
                pictures = await self._weekly_charts(session, user, t)
                group = await team.team_group(session)
                if group is not None and group.set_by == user.id:
                    chat_id = group.chat_id  # /teamgroup: posted where the team reads it
            elif reminder.kind == ReminderKind.INSTALLMENT:
                found = await payments.installment_reminded(session, reminder.id)
                if found is None or found[0].paid_minor >= found[0].amount_minor:
                    await reminders.nothing_to_send(session, reminder_id, token, cancel=True)
                    return Outcome.SETTLED
                text = installment_reminder_text(t, reminder, *found, user.timezone)
                markup = installment_keyboard(t, reminder.id, found[0].id, reminder.customer_id)
            elif reminder.kind == ReminderKind.REQUEST:
                request = await requests.request_reminded(session, reminder.id)
                if request is None:
                    await reminders.nothing_to_send(session, reminder_id, token, cancel=True)
                    return Outcome.SETTLED
                text = request_reminder_text(t, request, user.timezone, late=late)
                markup = request_actions(t, request, snooze=True)
            elif reminder.kind in NUDGE_KINDS:
                if not nudges.still_relevant(reminder):
                    await reminders.nothing_to_send(session, reminder_id, token, cancel=True)
                    return Outcome.SETTLED
                text = nudge_text(t, reminder, user.timezone)
                markup = nudge_keyboard(t, reminder)
            else:
                text = reminder_text(t, reminder, user.timezone, late=late)
                markup = reminder_keyboard(t, reminder.id)
        try:
            await self.bot.send_message(chat_id, text, reply_markup=markup)
        except Forbidden:
            if chat_id != user.telegram_id:  # removed from the team group, not blocked
                log.info("the bot is no longer in the team group; the summary goes to "
                         "its manager")
                async with self.database.unit_of_work() as session:
                    await team.forget_team_group(session)
                await self._settle(reminders.retry_later, reminder_id, token, now=utcnow())
                return Outcome.RETRY
            log.info("reminder %s: the user blocked the bot", reminder_id)
            await self._settle(reminders.give_up, reminder_id, token, blocked=True)
            return Outcome.SETTLED
        except RetryAfter as error:
            await self._settle(reminders.retry_later, reminder_id, token, now=utcnow(),
                               wait=_retry_after(error))
            return Outcome.RETRY
        except BadRequest as error:
            log.warning("reminder %s refused by Telegram: %s", reminder_id, error)
            await self._settle(reminders.give_up, reminder_id, token, blocked=False)
            return Outcome.SETTLED
        except TelegramError as error:  # network errors, timeouts, 5xx
            log.info("reminder %s: %s; will retry", reminder_id, error)
            await self._settle(reminders.retry_later, reminder_id, token, now=utcnow())
            return Outcome.RETRY
        sent = _Sent(reminder_id, token, utcnow(), late, shown)
        try:
            await self.database.once_more_if_disconnected(sent.confirm)
        except asyncio.CancelledError:  # the sweep cut short (cut_short): still delivered
            _owed[reminder_id] = sent
            raise
        except Exception as error:
            if not is_disconnect(error):
                raise
            _owed[reminder_id] = sent  # delivered: confirmed before anything is sent again
        metrics.REMINDERS_SENT.labels(str(late).lower()).inc()
        await self._send_pictures(chat_id, pictures)
        return Outcome.SENT

    async def _weekly_charts(self, session: AsyncSession, user: User, t: Translate
                             ) -> list[ChartData]:
        """The two charts a manager's week is best seen in: purchases per month and the
        pipeline funnel."""
        now, manager = utcnow(), actor_for(user, Visibility.TEAM)
        by_month = await stats.purchases_by_month(session, manager, currency=self.currency,
                                                  now=now, months=12)
        return [purchases_chart(t, by_month, now=now, months=12, currency=self.currency),
                funnel_chart(t, await deals.pipeline(session, manager, team=True),
                             self.currency)]

    async def _send_pictures(self, chat_id: int, pictures: list[ChartData]) -> None:
        """After the summary went out: its charts, best effort (the words are the
        summary; a picture that fails is logged, not sent again)."""
        for chart in pictures:
            if chart.empty:
                continue
            try:
                await self.bot.send_photo(chat_id, await charts.picture(chart),
                                          caption=chart.title)
            except TelegramError:
                log.warning("weekly chart %r not sent", chart.title, exc_info=True)

    async def _settle(self, action: Any, reminder_id: int, token: str, **kwargs: Any) -> None:
        await self.database.once_more_if_disconnected(
            lambda session: action(session, reminder_id, token, **kwargs))


@dataclass(frozen=True)
class _Sent:
    """A reminder Telegram took, to be confirmed under its claim."""

    reminder_id: int
    token: str
    at: datetime
    late: bool
    shown: list[int]

    async def confirm(self, session: AsyncSession) -> None:
        if await reminders.mark_sent(session, self.reminder_id, self.token, self.at,
                                     late=self.late):
            await reminders.mark_shown(session, self.shown, self.at)


# Reminders delivered whose confirmation the database did not take (it went away just
# then): confirmed before this process sends again, so none is sent twice (issue 27).
_owed: dict[int, _Sent] = {}


async def confirm_owed(database: Database) -> None:
    for reminder_id, sent in list(_owed.items()):
        async with database.unit_of_work() as session:
            await sent.confirm(session)
        del _owed[reminder_id]


async def _sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    dispatcher: ReminderDispatcher = context.application.bot_data[DISPATCHER]
    try:
        await dispatcher.sweep()
    except Exception as error:  # the next sweep tries again; a crash must not stop the timer
        if not is_disconnect(error):  # a lost database is said once, by the lock
            log.exception("reminder sweep failed")


def register(app: Application[Any, Any, Any, Any, Any, Any], database: Database,
             settings: ReminderSettings, *, schedule: bool, currency: str = "CNY"
             ) -> ReminderDispatcher:
    """Sets up the dispatcher; with `schedule`, sweeps at start (late ones first) and then
    every `sweep_seconds`."""
    dispatcher = ReminderDispatcher(database, app.bot, settings, currency)
    app.bot_data[DISPATCHER] = dispatcher
    if schedule and app.job_queue is not None:
        app.job_queue.run_repeating(_sweep_job, interval=settings.sweep_seconds, first=0,
                                    name="reminders", job_kwargs={"max_instances": 1})
    return dispatcher

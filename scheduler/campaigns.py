"""The campaign sender: every `SEND_EVERY` seconds the active instance sends what campaigns
have pending, at `email.per_minute`, for at most one interval, then lets the next run go
on. A restart resumes where the last one stopped (storage/campaigns.py keeps each
recipient's state; one caught mid-hand-over is never sent again).

Each message is filled in off the event loop (a thread: Jinja2's rendering is CPU work,
small but per customer) and handed to the server on it (the network wait is async). A
server that cannot be used pauses the campaign and tells whoever started it why; the
campaign's end is told too, with its counts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.mail.sending import Mailer, Refused, Unavailable, Uncertain, message
from bot.mail.templates import Template, render
from bot.messages.campaigns import campaign_done, campaign_paused, with_footer
from bot.messages.i18n import translator
from bot.runtime.config import Settings
from storage import campaigns
from storage.database import Database, is_disconnect
from storage.errors import ValidationFailed
from storage.models import Campaign, User
from storage.surveys import team_language

log = logging.getLogger(__name__)
SENDER = "campaign_sender"
SEND_EVERY = 15.0
# Connections at once: aiosmtplib waits for each answer (MAIL, RCPT, DATA) before the next
# command; one connection sent 45 messages a second to a local server, four share the
# waiting (bench/steering.py).
CONNECTIONS = 4


class CampaignSender:
    def __init__(self, database: Database, bot: Bot, settings: Settings) -> None:
        self.database, self.bot, self.settings = database, bot, settings
        self.limiter = AsyncLimiter(settings.email.per_minute, 60)
        self.settled = False
        self.team_t = translator(team_language(settings.team.default_region))

    async def run_once(self, budget: float = SEND_EVERY * 0.9) -> int:
        """Sends what is pending, for at most `budget` seconds; how many were sent."""
        if not self.settings.email.configured:
            return 0
        async with self.database.unit_of_work() as session:
            if not self.settled:
                await campaigns.settle_interrupted(session)
                self.settled = True
            sending = [(c.id, Template(c.subject, c.body)) for c in
                       await campaigns.sending_campaigns(session)]
        sent, until = 0, time.monotonic() + budget
        for campaign_id, template in sending:
            counts = await asyncio.gather(*(self._send(campaign_id, template, until)
                                            for _ in range(CONNECTIONS)))
            sent += sum(counts)
            if time.monotonic() >= until:
                break
        return sent

    async def _send(self, campaign_id: int, template: Template, until: float) -> int:
        """One connection's share of a campaign: its pending rows until none is left, the
        campaign pauses or stops, or `until`. One commit a message: the one that records
        a message sent also claims the next."""
        sent, previous = 0, None
        mailer = Mailer(self.settings.email)
        try:
            while True:
                if time.monotonic() >= until:
                    return sent
                await self.limiter.acquire()
                async with self.database.unit_of_work() as session:
                    if previous is not None:
                        await campaigns.mark_sent(session, *previous)
                        previous = None
                    claimed = await campaigns.claim_next(session, campaign_id)
                if claimed is None:
                    async with self.database.unit_of_work() as session:
                        done = await campaigns.finish_if_done(session, campaign_id)
                    if done is not None:
                        await self._tell_done(done)
                    return sent
                try:
                    subject, body = await asyncio.to_thread(render, template, claimed.fields)
                    link = campaigns.unsubscribe_link(self.settings.webapp.url, claimed.token)
                    await mailer.send(message(self.settings.email, claimed.email, subject,
                                              with_footer(self.team_t, body, link), link))
                except Unavailable as error:
                    async with self.database.unit_of_work() as session:
                        if isinstance(error, Uncertain):  # it may have arrived: never again
                            await campaigns.mark_uncertain(session, claimed, str(error))
                        else:
                            await campaigns.put_back(session, claimed)
                        paused = await campaigns.pause(session, campaign_id, str(error))
                    if paused is not None:
                        await self._tell_paused(paused)
                    return sent
                except (Refused, ValidationFailed) as error:
                    async with self.database.unit_of_work() as session:
                        await campaigns.mark_refused(session, claimed, str(error))
                    continue
                previous = (claimed, subject)
                sent += 1
        finally:
            if previous is not None:
                async with self.database.unit_of_work() as session:
                    await campaigns.mark_sent(session, *previous)
            await mailer.close()

    async def _tell(self, campaign: Campaign, text_of: Any) -> None:
        async with self.database.unit_of_work() as session:
            creator = await session.get(User, campaign.created_by_id)
            counts = await campaigns.recipient_counts(session, campaign.id)
        if creator is None or not creator.active:
            return
        try:
            await self.bot.send_message(creator.telegram_id,
                                        text_of(translator(creator.language), campaign, counts))
        except TelegramError:
            log.warning("could not tell about campaign %d", campaign.id, exc_info=True)

    async def _tell_done(self, campaign: Campaign) -> None:
        await self._tell(campaign, campaign_done)

    async def _tell_paused(self, campaign: Campaign) -> None:
        await self._tell(campaign, campaign_paused)


async def _send_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    sender: CampaignSender = context.application.bot_data[SENDER]
    try:
        await sender.run_once()
    except Exception as error:  # the next run goes on; a crash must not stop the timer
        if not is_disconnect(error):
            log.exception("campaign sending failed")


def register(app: Application[Any, Any, Any, Any, Any, Any], database: Database,
             settings: Settings, *, schedule: bool) -> CampaignSender:
    sender = CampaignSender(database, app.bot, settings)
    app.bot_data[SENDER] = sender
    if schedule and app.job_queue is not None:
        app.job_queue.run_repeating(_send_job, interval=SEND_EVERY, first=5,
                                    name="campaigns", job_kwargs={"max_instances": 1})
    return sender

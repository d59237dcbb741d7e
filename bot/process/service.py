"""`salesbot run` with a token: one active instance, every update through the inbox, a
stop bounded in time.

1. Become the active instance (storage/instance.py): on PostgreSQL a second process waits
   here as the standby; on SQLite it is refused.
2. Reminders a dead process had claimed are due again now (only the active instance
   sends, so they are nobody's); the first sweep runs at once.
3. The Application starts; updates stored and not done are queued first, then the
   transport (long polling or the webhook) feeds the inbox.
4. On SIGTERM or SIGINT: stop fetching, forget what is queued but not begun (it stays
   stored), let what has begun finish for `telegram.drain_seconds` (8), cut the rest
   short, exit 0. Measured: within 10 s with a 200-update backlog and Telegram pacing
   every reply (tests/e2e/test_instances_over_http.py).
5. If the database lock is lost (a failover, a restart, every connection cut), the
   standby may already be answering: stop answering and sending at once (what has begun
   may finish for `LOST_DRAIN_SECONDS`), then go back to step 1 in the same process. It
   becomes the active instance again when it wins the lock (updates stored and not done
   are handled first, its own claims are due again), or the standby if another won. It
   exits only on SIGTERM or SIGINT, or on an error it cannot recover from, said in one
   line. Measured (tests/e2e/test_failover_over_http.py): answering again within 5 s of
   the cut, with no supervisor.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken
from telegram.ext import Application

from bot.process import processing
from bot.process.app import SalesbotApplication, build_application
from bot.process.intake import Intake
from bot.process.transports.polling import poll
from bot.runtime import collector, workers
from bot.runtime.config import Settings
from scheduler.reminders import confirm_owed
from storage import reminders
from storage.clock import utcnow
from storage.database import Database, is_disconnect
from storage.instance import AlreadyRunning, InstanceLock

if TYPE_CHECKING:
    from bot.process.monitoring import Monitor
    from bot.process.transports.webhook import Webhook
    from webapp.server import MiniApp

log = logging.getLogger(__name__)
PRUNE_EVERY = 3600
# After the lock is lost, what has begun may finish this long: with the server still up
# (a cut connection) a handler ends in milliseconds on a fresh connection, and its answer
# and done mark go out together; with the server gone it fails at once. A standby takes
# the lock only after its next try, STANDBY_TRY_SECONDS away.
LOST_DRAIN_SECONDS = 2.0


async def serve(settings: Settings) -> int:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    database = Database(settings.database.url)
    lock = InstanceLock(database)
    monitor: Monitor | _Unmonitored = _Unmonitored()
    try:
        monitor = await _monitor(database, settings)
        lost_at: float | None = None
        while True:
            if lock.shared:
                monitor.role = "standby"
                if lost_at is None:
                    log.info("waiting to be the active instance (another may be)")
            if not await lock.acquire(give_up=stopping):
                return 0
            monitor.role = "active"
            if lost_at is None:
                log.info("active: this instance answers and sends reminders")
            else:
                log.warning("active again, %.1f s after the database lock was lost",
                            time.monotonic() - lost_at)
            try:
                await _take_over(database)
                app = build_application(settings, database)
                collector.settle()
                code = await _run_active(app, database, lock, settings, stopping)
            except Exception as error:
                if not is_disconnect(error):
                    raise
                code = None  # lost again while it began (a replay, a claim): once more
            if code is not None:
                return code
            await lock.release()
            lost_at = time.monotonic()
            log.warning("lost the database lock: stopped answering; taking it again as soon "
                        "as the database lets (another instance may be active meanwhile)")
    except AlreadyRunning as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await monitor.stop()
        await lock.release()
        await database.dispose()


async def _take_over(database: Database) -> None:
    """What the active instance settles before it answers: what this process did and could
    not record when the database went away (answers sent and reminders delivered), then
    every claim left is a stopped sender's and is due again now."""
    await processing.settle_owed(database)
    await confirm_owed(database)
    async with database.unit_of_work() as session:
        released = await reminders.release_claims(session, utcnow())
    if released:
        log.info("%d reminders claimed by a stopped process are due again", released)


async def _run_active(app: Application[Any, Any, Any, Any, Any, Any], database: Database,
                      lock: InstanceLock, settings: Settings, stopping: asyncio.Event
                      ) -> int | None:
    """Answers until told to stop (the exit code) or until the lock is lost (None)."""
    assert isinstance(app, SalesbotApplication)
    intake = Intake(app, database)
    webhook: Webhook | None = None
    miniapp: MiniApp | None = None
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        miniapp = await _miniapp(database, settings, app.bot.username)
        await intake.replay()
        if app.job_queue is not None:
            app.job_queue.run_repeating(lambda _: intake.prune(), PRUNE_EVERY, first=60,
                                        name="prune-inbox")
        polling: asyncio.Future[Any] | None = None
        if settings.telegram.mode == "webhook":
            from bot.process.transports.webhook import Webhook

            webhook = Webhook(app, intake, settings.telegram)
            await webhook.start()
        else:
            polling = asyncio.ensure_future(poll(app, intake, settings.telegram.poll_timeout))
        lost = asyncio.ensure_future(lock.lost())
        watchers: set[asyncio.Future[Any]] = {asyncio.ensure_future(stopping.wait()), lost}
        if polling is not None:
            watchers.add(polling)
        await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
        code = _exit_code(polling, lost)
        for watcher in watchers:
            watcher.cancel()
        await asyncio.wait(watchers)
        if webhook is not None:
            await webhook.stop()
        dropped = intake.drop_queued()
        if dropped:
            log.info("%d queued updates wait in the database for the next start", dropped)
        await app.drain(settings.telegram.drain_seconds if code is not None
                        else min(LOST_DRAIN_SECONDS, settings.telegram.drain_seconds))
        return code
    finally:
        if miniapp is not None:
            await miniapp.stop()
        workers.end_all()
        if app.running:
            await app.stop()
        await app.shutdown()


class _Unmonitored:
    role = ""

    async def stop(self) -> None:
        return None


async def _monitor(database: Database, settings: Settings) -> Monitor | _Unmonitored:
    """/healthz and /metrics when a port is set. aiohttp (8 MB) is imported only then, or
    for a webhook: a bot that long-polls without them does not carry it."""
    if not settings.monitoring.port:
        return _Unmonitored()
    from bot.process.monitoring import Monitor

    monitor = Monitor(database, polling=settings.telegram.mode == "polling")
    await monitor.start(settings.monitoring.listen, settings.monitoring.port)
    return monitor


async def _miniapp(database: Database, settings: Settings, bot_username: str | None
                   ) -> MiniApp | None:
    """The Mini App, served by the active instance when a port is set (aiohttp only then)."""
    if not settings.webapp.port:
        return None
    from webapp.server import MiniApp

    miniapp = MiniApp(database, settings, bot_username=bot_username)
    await miniapp.start()
    return miniapp


def _exit_code(polling: asyncio.Future[Any] | None, lost: asyncio.Future[Any]) -> int | None:
    if lost.done():
        return None
    if (polling is not None and polling.done() and not polling.cancelled()
            and polling.exception() is not None):
        error = polling.exception()
        if is_disconnect(error):  # its offset unread, the database gone: as a lost lock
            return None
        if isinstance(error, InvalidToken):
            log.error("Telegram refused the token: check telegram.token")
        else:
            log.error("fetching updates failed: %r", error)
        return 1
    return 0

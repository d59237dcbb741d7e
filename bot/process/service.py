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
5. If the database lock is lost (PostgreSQL connection gone), the standby may already be
   answering: stop the same way and exit 1, for the supervisor to start it again as the
   standby.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken
from telegram.ext import Application

from bot.process.app import SalesbotApplication, build_application
from bot.process.intake import Intake
from bot.process.transports.polling import poll
from bot.runtime import workers
from bot.runtime.config import Settings
from storage import reminders
from storage.clock import utcnow
from storage.database import Database
from storage.instance import AlreadyRunning, InstanceLock

if TYPE_CHECKING:
    from bot.process.monitoring import Monitor
    from bot.process.transports.webhook import Webhook
    from webapp.server import MiniApp

log = logging.getLogger(__name__)
PRUNE_EVERY = 3600


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
        if lock.shared:
            monitor.role = "standby"
            log.info("waiting to be the active instance (another may be)")
        if not await lock.acquire(give_up=stopping):
            return 0
        monitor.role = "active"
        log.info("active: this instance answers and sends reminders")
        async with database.unit_of_work() as session:
            released = await reminders.release_claims(session, utcnow())
        if released:
            log.info("%d reminders claimed by a stopped process are due again", released)
        app = build_application(settings, database)
        return await _run_active(app, database, lock, settings, stopping)
    except AlreadyRunning as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await monitor.stop()
        await lock.release()
        await database.dispose()


async def _run_active(app: Application[Any, Any, Any, Any, Any, Any], database: Database,
                      lock: InstanceLock, settings: Settings, stopping: asyncio.Event) -> int:
    assert isinstance(app, SalesbotApplication)
    intake = Intake(app, database)
    webhook: Webhook | None = None
    miniapp: MiniApp | None = None
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        miniapp = await _miniapp(database, settings)
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
        await app.drain(settings.telegram.drain_seconds)
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


async def _miniapp(database: Database, settings: Settings) -> MiniApp | None:
    """The Mini App, served by the active instance when a port is set (aiohttp only then)."""
    if not settings.webapp.port:
        return None
    from webapp.server import MiniApp

    miniapp = MiniApp(database, settings)
    await miniapp.start()
    return miniapp


def _exit_code(polling: asyncio.Future[Any] | None, lost: asyncio.Future[Any]) -> int:
    if lost.done():
        log.error("lost the database lock: stopping, another instance may be active now")
        return 1
    if (polling is not None and polling.done() and not polling.cancelled()
            and polling.exception() is not None):
        error = polling.exception()
        if isinstance(error, InvalidToken):
            log.error("Telegram refused the token: check telegram.token")
        else:
            log.error("fetching updates failed: %r", error)
        return 1
    return 0

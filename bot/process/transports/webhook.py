"""The webhook through the inbox: an update is stored before Telegram gets its 200.

Telegram sends the configured secret in `X-Telegram-Bot-Api-Secret-Token`; a request
without it, or with another, is refused (403) and nothing is stored. A body that is not an
update is refused (400); Telegram would send it again, but Telegram never sends one. An
update the database did not take is answered 503: Telegram keeps it and sends it again.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.process.intake import Intake
from bot.runtime.config import TelegramSettings
from bot.runtime.metrics import telegram_reached
from storage.database import is_disconnect

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram"


def webhook_app(app: Application[Any, Any, Any, Any, Any, Any], intake: Intake, secret: str
                ) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        try:
            await intake.take([update])
        except Exception as error:  # not stored: Telegram keeps it and sends it again
            if not (isinstance(error, SQLAlchemyError) or is_disconnect(error)):
                raise
            return web.Response(status=503, text="not stored, try again")
        telegram_reached()
        return web.Response(text="ok")

    web_app = web.Application(client_max_size=1 << 20)
    web_app.router.add_post(PATH, receive)
    return web_app


class Webhook:
    """Serves the webhook and tells Telegram where it is."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], intake: Intake,
                 settings: TelegramSettings) -> None:
        self.app, self.settings = app, settings
        self.runner = web.AppRunner(webhook_app(app, intake, settings.webhook_secret),
                                    access_log=None)

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.webhook_listen, self.settings.webhook_port)
        await site.start()
        await self.app.bot.set_webhook(self.settings.webhook_url,
                                       secret_token=self.settings.webhook_secret,
                                       allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        """Stops accepting: what Telegram sends meanwhile it sends again later."""
        await self.runner.cleanup()

"""The Mini App over HTTP: its page, its static files and a JSON API, in the bot's own
event loop (aiohttp, as /healthz is), on `webapp.listen`:`webapp.port`.

Every API call is signed in by Telegram's initData (webapp/auth.py) and then meets the
chat's rules: `users.admit` decides who is a member and their role, the services decide
what they may see. Routes are glue: read the request, call a service, answer JSON.

What a browser is told: a strict Content-Security-Policy (our own scripts and styles
only, nothing inline; framed only by Telegram's web clients), no sniffing, no referrer.
A request that names another origin is refused, bodies over 64 KB are refused, and no
CORS header is ever sent, so another site's page can neither read nor call the API.

A development login (`webapp.dev_login`, off by default) signs a member in without
Telegram, for working on the page in a desktop browser: it answers only a request from
this machine that no proxy forwarded, so it cannot open the app to anyone outside.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.runtime.config import Settings
from storage.database import Database
from storage.errors import CrmError
from storage.surveys import team_language
from storage.users import Profile, actor_for, admit
from webapp import api
from webapp.api import ACTOR, DATABASE, SETTINGS, answer, refusal
from webapp.auth import NotSigned, sign, signed_user
from webapp.calendar import CalendarFeeds
from webapp.survey import SurveyPages
from webapp.unsubscribe import UnsubscribePages

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
MAX_BODY = 64 * 1024
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors https://web.telegram.org https://*.telegram.org")
FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class MiniApp:
    def __init__(self, database: Database, settings: Settings, *,
                 bot_username: str | None = None) -> None:
        self.database, self.settings = database, settings
        self.bot_username = bot_username  # for links back to the chat (webapp/calendar.py)
        self.runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY,
                              middlewares=[self._guarded, self._signed_in])
        app[SETTINGS], app[DATABASE] = self.settings, self.database
        app.router.add_get("/app/", self.page)
        app.router.add_get("/app", self.to_page)
        app.router.add_get("/app/dev", self.dev_login)
        app.router.add_static("/app/static/", STATIC, follow_symlinks=False)
        app.add_routes(api.routes())
        SurveyPages(self.database, team_language(self.settings.team.default_region)).add_to(app)
        CalendarFeeds(self.database, self.settings.webapp.url, self.bot_username).add_to(app)
        UnsubscribePages(self.database,
                         team_language(self.settings.team.default_region)).add_to(app)
        return app

    async def start(self) -> None:
        listen, port = self.settings.webapp.listen, self.settings.webapp.port
        self.runner = web.AppRunner(self.application(), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, listen, port).start()
        log.info("the Mini App on http://%s:%d/app/", listen, port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @web.middleware
    async def _guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # The host alone: behind the TLS proxy the page is https and this server http.
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            response: web.StreamResponse = answer({"error": "another origin"}, 403)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as refused:
                response = answer({"error": refused.reason}, refused.status)
        response.headers.setdefault("Content-Security-Policy", CSP)  # the survey has its own
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers["Cache-Control"] = "no-store"
        return response

    @web.middleware
    async def _signed_in(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/app/api/"):
            return await handler(request)
        scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
        try:
            if scheme != "tma":
                raise NotSigned("no initData")
            who = signed_user(init_data, self.settings.telegram.token,
                              max_age=self.settings.webapp.signed_within_hours * 3600)
        except NotSigned as refused:
            return answer({"error": str(refused)}, 401)
        team = self.settings.team
        async with self.database.unit_of_work(settles=False) as session:
            member = await admit(
                session, Profile(who.telegram_id, who.display_name, who.username,
                                 who.language_code),
                admin_ids=self.settings.admin_ids, timezone=team.timezone)
        if member is None:
            return answer({"error": "not a member of this team"}, 403)
        actor = request[ACTOR] = actor_for(member, team.visibility)
        try:
            return await handler(request)
        except CrmError as error:
            return refusal(error, actor)

    async def to_page(self, _: web.Request) -> web.StreamResponse:
        # The page's files are named relative to /app/.
        return web.Response(status=308, headers={"Location": "/app/"})

    async def page(self, _: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def dev_login(self, request: web.Request) -> web.StreamResponse:
        """/app/dev?as=TELEGRAM_ID: the page, signed in as that member by this server."""
        if not self.settings.webapp.dev_login:
            return answer({"error": "the development login is off (webapp.dev_login)"}, 403)
        if not _from_this_machine(request):
            return answer({"error": "the development login answers only this machine"}, 403)
        try:
            telegram_id = int(request.query.get("as", ""))
        except ValueError:
            return answer({"error": "as is a Telegram user id"}, 400)
        init_data = sign({"auth_date": str(int(time.time())), "user": json.dumps(
            {"id": telegram_id, "first_name": f"dev {telegram_id}"})},
            self.settings.telegram.token)
        return web.Response(status=303, headers={
            "Location": "/app/#tgWebAppData=" + quote(init_data, safe="")})


def _from_this_machine(request: web.Request) -> bool:
    """A loopback peer that no proxy forwarded (a proxy on this host is loopback too)."""
    if any(name in request.headers for name in FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False

"""The Mini App over HTTP: its page, its static files and a JSON API, in the bot's own
event loop (aiohttp, as /healthz is), on `webapp.listen`:`webapp.port`.

Every API call is signed in by Telegram's initData (webapp/auth.py) and then meets the
chat's rules: `users.admit` decides who is a member and their role, the services decide
what they may see. Routes are glue: read the request, call a service, answer JSON.

What a browser is told: a strict Content-Security-Policy (our own scripts and styles
only, nothing inline; framed only by Telegram's web clients), no sniffing, no referrer.
A request that names another origin is refused, bodies over 64 KB are refused, and no
CORS header is ever sent, so another site's page can neither read nor call the API.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from storage.database import Database
from storage.errors import NotFound
from storage.exports import ExportFilter
from storage.table import SORTS, customer_card, table_page
from storage.users import Actor, Profile, Visibility, actor_for, admit
from webapp.auth import NotSigned, signed_user

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
MAX_BODY = 64 * 1024
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors https://web.telegram.org https://*.telegram.org")
FILTERS = ("tag", "tier", "stage", "owner", "region")
ACTOR = web.RequestKey("actor", Actor)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(
        value, ensure_ascii=False, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class MiniApp:
    def __init__(self, database: Database, *, bot_token: str, admin_ids: frozenset[int],
                 visibility: Visibility, timezone: str, max_age: float) -> None:
        self.database, self.bot_token = database, bot_token
        self.admin_ids, self.visibility, self.timezone = admin_ids, visibility, timezone
        self.max_age = max_age
        self.runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY,
                              middlewares=[self._guarded, self._signed_in])
        app.router.add_get("/app/", self.page)
        app.router.add_get("/app", self.to_page)
        app.router.add_static("/app/static/", STATIC, follow_symlinks=False)
        app.router.add_get("/app/api/me", self.me)
        app.router.add_get("/app/api/customers", self.customers)
        app.router.add_get("/app/api/customers/{id:[0-9]{1,9}}", self.customer)
        return app

    async def start(self, listen: str, port: int) -> None:
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
            response: web.StreamResponse = _json({"error": "another origin"}, 403)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as refused:
                response = _json({"error": refused.reason}, refused.status)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
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
            who = signed_user(init_data, self.bot_token, max_age=self.max_age)
        except NotSigned as refused:
            return _json({"error": str(refused)}, 401)
        async with self.database.unit_of_work(settles=False) as session:
            member = await admit(
                session, Profile(who.telegram_id, who.display_name, who.username,
                                 who.language_code),
                admin_ids=self.admin_ids, timezone=self.timezone)
        if member is None:
            return _json({"error": "not a member of this team"}, 403)
        request[ACTOR] = actor_for(member, self.visibility)
        return await handler(request)

    async def to_page(self, _: web.Request) -> web.StreamResponse:
        # The page's files are named relative to /app/.
        return web.Response(status=308, headers={"Location": "/app/"})

    async def page(self, _: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def me(self, request: web.Request) -> web.Response:
        actor = request[ACTOR]
        return _json({"name": actor.display_name, "role": actor.role.value,
                      "language": actor.language})

    async def customers(self, request: web.Request) -> web.Response:
        actor, query = request[ACTOR], request.query
        try:
            quiet = int(query["quiet_days"]) if query.get("quiet_days") else None
            page = int(query.get("page", "1"))
        except ValueError:
            return _json({"error": "quiet_days and page are numbers"}, 400)
        sort = query.get("sort", "updated")
        if sort not in SORTS:
            return _json({"error": f"sort is one of {', '.join(SORTS)}"}, 400)
        given = {name: query.get(name, "")[:100] or None for name in FILTERS}
        filters = ExportFilter(tag=given["tag"], tier=given["tier"], stage=given["stage"],
                               owner=given["owner"], region_is=given["region"],
                               quiet_days=quiet)
        async with self.database.unit_of_work(settles=False) as session:
            found = await table_page(session, actor, filters, query=query.get("q", "")[:100],
                                     sort=sort, page=page)
        return _json(asdict(found))

    async def customer(self, request: web.Request) -> web.Response:
        try:
            async with self.database.unit_of_work(settles=False) as session:
                card = await customer_card(session, request[ACTOR],
                                           int(request.match_info["id"]))
        except NotFound:
            return _json({"error": "no such customer"}, 404)
        return _json(asdict(card))

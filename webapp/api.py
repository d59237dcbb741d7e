"""The Mini App's JSON API under /app/api/: each route reads the request, calls the
service the chat calls, and answers JSON.

By the time a route runs, webapp/server.py has checked the signature and admitted the
member (`request[ACTOR]`). A domain error (storage/errors.py) becomes its status (404
not found, 409 someone moved it first, 422 bad input, 403 not allowed) and the chat's own
sentence in the member's language, as plain text: the page shows it with textContent.
Edits and moves go through the chat's services, so their validation, audit and /history
are the chat's.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.media.stats_charts import chart_of
from bot.messages.errors import error_message
from bot.messages.i18n import Translate, translator
from bot.messages.imports import (
    CHOICE_LABELS,
    CUSTOMER_FIELDS,
    KIND_TITLES,
    LOG_FIELDS,
    problem_text,
)
from bot.messages.labels import label
from bot.messages.stats import CHARTS
from bot.messages.targets import figure, metric_label, pace_words, period_head
from bot.runtime.config import Settings
from bot.tables import importing
from bot.understanding.amounts import Money
from bot.understanding.filters import condition_of_words
from storage.clock import utcnow
from storage.customers import EDITABLE, load_customer, update_field
from storage.database import Database
from storage.errors import AccessDenied, Conflict, CrmError, NotFound, ValidationFailed
from storage.filters import CustomerFilter
from storage.imports import jobs
from storage.imports.columns import Layout
from storage.imports.preview import Checked, Kind
from storage.models import Deal, DealStage, ImportJob, ImportStatus
from storage.sales import deals
from storage.sales.receivables import BUCKETS, aging
from storage.sales.segments import load_segment
from storage.table import SORTS, customer_card, table_choices, table_page
from storage.targets import Attainment, attainment, month_of, ranking, team_totals
from storage.users import Actor
from webapp.strings import page_strings

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
ACTOR = web.RequestKey("actor", Actor)
FILTERS = ("tag", "tier", "stage", "owner", "region", "segment")
# A board column lists this many deals (soonest close first); its count and sums are all.
BOARD_DEALS = 50
STATUS = {NotFound: 404, Conflict: 409, ValidationFailed: 422, AccessDenied: 403}


def answer(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(
        value, ensure_ascii=False, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def refusal(error: CrmError, actor: Actor) -> web.Response:
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    return answer({"error": error_message(error, translator(actor.language))}, status)


async def _fields(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(reason="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="the body is not a JSON object")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value) > 2000:
        raise web.HTTPBadRequest(reason=f"{name} is text (up to 2,000 characters)")
    return value


def _number(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise web.HTTPBadRequest(reason=f"{name} is a number") from None


async def me(request: web.Request) -> web.Response:
    actor, settings = request[ACTOR], request.app[SETTINGS]
    return answer({"name": actor.display_name, "role": actor.role.value,
                   "language": actor.language, "manager": actor.is_manager,
                   "editable": list(EDITABLE), "stages": [s.value for s in DealStage],
                   "currency": settings.sales.currency,
                   "strings": page_strings(translator(actor.language))})


async def customers(request: web.Request) -> web.Response:
    actor, query = request[ACTOR], request.query
    quiet = _number(query["quiet_days"], "quiet_days") if query.get("quiet_days") else None
    page = _number(query.get("page", "1"), "page")
    sort = query.get("sort", "updated")
    if sort not in SORTS:
        raise web.HTTPBadRequest(reason=f"sort is one of {', '.join(SORTS)}")
    given = {name: query.get(name, "")[:100] or None for name in FILTERS}
    filters = CustomerFilter(tag=given["tag"], tier=given["tier"], stage=given["stage"],
                           owner=given["owner"], region_is=given["region"], quiet_days=quiet,
                           open_requests=query.get("open_requests") == "1")
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        extra = None
        if given["segment"]:  # its words, read as /export reads them, today
            segment = await load_segment(session, _number(given["segment"], "segment"))
            extra = await condition_of_words(session, actor, segment.query)
        found = await table_page(session, actor, filters, query=query.get("q", "")[:100],
                                 sort=sort, page=page, extra=extra)
    return answer(asdict(found))


async def customer(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        card = await customer_card(session, request[ACTOR], int(request.match_info["id"]))
    return answer(asdict(card))


async def edit_customer(request: web.Request) -> web.Response:
    """One field, as the card's ✏️ Edit in chat: {"field": "title", "value": "CEO"}."""
    actor, settings = request[ACTOR], request.app[SETTINGS]
    body = await _fields(request)
    name, value = _text(body, "field"), _text(body, "value")
    customer_id = int(request.match_info["id"])
    async with request.app[DATABASE].unit_of_work() as session:
        found = await load_customer(session, customer_id, actor)
        await update_field(session, found, name, value, actor,
                           default_region=settings.team.default_region)
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        card = await customer_card(session, actor, customer_id)
    return answer(asdict(card))


async def choices(request: web.Request) -> web.Response:
    """The filter menus' values: regions, tags, members (for managers), segments."""
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        found = await table_choices(session, request[ACTOR])
    return answer({
        "regions": [{"value": region, "count": count} for region, count in found.regions],
        "tags": [{"value": tag, "count": count} for tag, count in found.tags],
        "owners": [{"value": str(telegram_id), "name": name}
                   for telegram_id, name in found.owners],
        "segments": [{"value": str(number), "name": name} for number, name in found.segments],
    })


def _deal(deal: Deal, today: date) -> dict[str, Any]:
    return {"id": deal.id, "title": deal.title, "stage": deal.stage,
            "customer_id": deal.customer_id, "customer": deal.customer.name,
            "value_minor": deal.value_minor, "currency": deal.currency,
            "close_on": deal.close_on, "late": deals.is_late(deal, today),
            "owner": deal.owner.display_name if deal.owner else None}


async def board(request: web.Request) -> web.Response:
    """The pipeline's columns: the team's for a manager (as /pipeline team), else own."""
    actor = request[ACTOR]
    team = request.query.get("mine") != "1"
    today = utcnow().date()
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        sums = await deals.pipeline(session, actor, team=team)
        columns = [{"stage": column.stage, "count": column.count, "totals": column.totals,
                    "deals": [_deal(deal, today) for deal in await deals.deals_in(
                        session, actor, column.stage, team=team, limit=BOARD_DEALS)]}
                   for column in sums]
    return answer({"team": team and actor.is_manager, "columns": columns})


async def move(request: web.Request) -> web.Response:
    """One move, as the chat's stage buttons: {"expected": "proposal", "to": "won"}; 409
    with who-moved-it-first when the deal is no longer at `expected`."""
    actor, settings = request[ACTOR], request.app[SETTINGS]
    body = await _fields(request)
    expected, to = _text(body, "expected"), _text(body, "to")
    if to not in {stage.value for stage in DealStage}:
        raise web.HTTPBadRequest(reason="to is a deal stage")
    async with request.app[DATABASE].unit_of_work() as session:
        deal = await deals.load_deal(session, actor, int(request.match_info["id"]))
        ceiling = Money(Decimal(settings.sales.amount_ceiling), deal.currency).minor
        moved = await deals.move_deal(
            session, actor, deal.id, expected=expected, to=to, ceiling_minor=ceiling,
            loyal_within=timedelta(days=settings.sales.loyal_within_days))
        shown = _deal(moved, utcnow().date())
    return answer(shown)


async def dashboard(request: web.Request) -> web.Response:
    """The charts of /stats (the last 12 months), as their data: the page draws them."""
    actor = request[ACTOR]
    t = translator(actor.language)
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        drawn = [await chart_of(session, actor, t, kind, period="365",
                                currency=request.app[SETTINGS].sales.currency)
                 for kind in CHARTS]
    return answer([asdict(chart) | {"empty": chart.empty} for chart in drawn])


async def import_review(request: web.Request) -> web.Response:
    """An uploaded sheet's columns as the chat's mapping card has them, with samples;
    `?preview=1` adds the preview's counts (every row read and checked, in the workers)."""
    actor, database = request[ACTOR], request.app[DATABASE]
    async with database.unit_of_work() as session:
        job = await jobs.load_job(session, actor, int(request.match_info["id"]))
        layout = await importing.layout_of(database, job)
        if job.status == ImportStatus.MAPPING:
            importing.remember(job, layout)
    checked = None
    if request.query.get("preview") == "1" and (layout.logs_only or "name" in layout.mapping):
        checked = await importing.check(database, job, importing.options_of(job))
    return answer(_review(job, layout, checked, translator(actor.language)))


async def map_import_column(request: web.Request) -> web.Response:
    """One column's field, as the mapping card's buttons: {"column": 2, "field": "phone"}
    (null: ignore the column)."""
    actor, database = request[ACTOR], request.app[DATABASE]
    body = await _fields(request)
    column, chosen = body.get("column"), body.get("field")
    async with database.unit_of_work() as session:
        job = await jobs.load_job(session, actor, int(request.match_info["id"]))
        allowed = LOG_FIELDS if job.settings.get("logs_only") else CUSTOMER_FIELDS
        if not isinstance(column, int) or not 0 <= column < len(job.settings.get("mapping", [])):
            raise web.HTTPBadRequest(reason="column is the number of a column of the sheet")
        if chosen is not None and chosen not in allowed:
            raise web.HTTPBadRequest(reason=f"field is one of {', '.join(allowed)} or null")
        importing.map_column(job, column, chosen)
    async with database.unit_of_work(settles=False) as session:
        job = await jobs.load_job(session, actor, job.id)
    layout = await importing.layout_of(database, job)
    return answer(_review(job, layout, None, translator(actor.language)))


def _review(job: ImportJob, layout: Layout, checked: Checked | None,
            t: Translate) -> dict[str, Any]:
    fields = LOG_FIELDS if layout.logs_only else CUSTOMER_FIELDS
    samples = layout.logs_rows if layout.logs_only else layout.rows
    found: dict[str, Any] = {
        "id": job.id, "file_name": job.file_name, "status": job.status,
        "open": job.status == ImportStatus.MAPPING, "sheet": layout.sheet,
        "sheets": layout.sheets, "header_row": layout.header_row,
        "rows": layout.row_count or layout.logs_count, "has_name": "name" in layout.mapping,
        "fields": [{"value": name, "label": label(t, name)} for name in fields],
        "columns": [{"index": i, "header": layout.header[i] if i < len(layout.header) else "",
                     "field": chosen, "samples": [row[i] for _, row in samples if i < len(row)]}
                    for i, chosen in enumerate(layout.mapping)],
    }
    if checked is not None:
        p, choices = checked.preview, importing.choices_of(job)
        found["preview"] = {
            "rows": p.rows, "valid": p.valid, "invalid": p.invalid, "new": p.new,
            "duplicates": [{"title": t(KIND_TITLES[kind]), "count": getattr(p, kind.value),
                            "choice": t(CHOICE_LABELS[choices[kind]])}
                           for kind in (Kind.CERTAIN, Kind.POSSIBLE, Kind.IN_FILE)],
            "last_contacts": p.last_contact, "followups": p.followups, "notes": p.notes,
            "logs": p.logs, "logs_invalid": p.logs_invalid,
            "problems": [{"row": row, "text": problem_text(t, problem)}
                         for row, problem in p.problems]}
    return found


async def receivables(request: web.Request) -> web.Response:
    """/receivables as data: owed per currency and bucket (per owner for a manager) and
    the month's collection; the page lays it out in the member's words."""
    actor = request[ACTOR]
    today = utcnow().astimezone(ZoneInfo(actor.timezone)).date()
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        found = await aging(session, actor, today)
    return answer({"buckets": list(BUCKETS), "totals": found.totals,
                   "owners": found.by_owner if actor.is_manager else {},
                   "month": {currency: [due, found.month_paid.get(currency, 0)]
                             for currency, due in found.month_due.items() if due}})


async def targets_view(request: web.Request) -> web.Response:
    """This month's targets as the chat's /targets has them (a rep's own; the team's, with
    its totals and ranking, for a manager), each line in the member's words, with its
    share and the pace for the page's bar."""
    actor = request[ACTOR]
    t = translator(actor.language)
    today = utcnow().astimezone(ZoneInfo(actor.timezone)).date()
    period = month_of(today)
    async with request.app[DATABASE].unit_of_work(settles=False) as session:
        rows = await attainment(session, period, today, actor.timezone,
                                user_ids=None if actor.is_manager else [actor.user_id])

    def shown(row: Attainment) -> dict[str, Any]:
        return {"name": row.name, "metric": metric_label(t, row.metric),
                "share": row.share, "pace": row.pace, "text": " · ".join([
                    f"{figure(row.metric, row.done, row.currency)} / "
                    f"{figure(row.metric, row.goal, row.currency)}", f"{row.share:.0%}",
                    pace_words(t, row)])}

    team = actor.is_manager and len({row.user_id for row in rows}) > 1
    return answer({
        "title": "🎯 " + period_head(t, period, period.share_gone(today)),
        "rows": [shown(row) for row in rows],
        "totals": [shown(row) for row in team_totals(rows)] if team else [],
        "ranking": [f"{n}. {name} {share:.0%}" for n, (name, share) in
                    enumerate(ranking(rows), start=1)] if team else []})


def routes() -> list[web.RouteDef]:
    one = "/app/api/customers/{id:[0-9]{1,9}}"
    return [web.get("/app/api/me", me), web.get("/app/api/customers", customers),
            web.get(one, customer), web.patch(one, edit_customer),
            web.get("/app/api/choices", choices), web.get("/app/api/board", board),
            web.get("/app/api/targets", targets_view),
            web.post("/app/api/deals/{id:[0-9]{1,9}}/move", move),
            web.get("/app/api/dashboard", dashboard),
            web.get("/app/api/receivables", receivables),
            web.get("/app/api/imports/{id:[0-9]{1,9}}", import_review),
            web.patch("/app/api/imports/{id:[0-9]{1,9}}", map_import_column)]

"""Service requests (工单): a customer's question, fault, complaint or return, from the
moment it is logged until it is resolved, and the figures a manager steers by.

A request belongs to one customer and one assignee (the member who logs it, or, when a
manager logs it, any active member). It is open, in progress, resolved (with what was
done) or reopened. Its due time brings a reminder to the assignee (kind "request"); a
request logged with no time is due by its priority (`DUE_BY_PRIORITY`), as a support
desk's service levels are. The first thing done about it (started, resolved, or a note)
is its first response; first-response and resolution times per member and week come
from these columns alone (`response_times`).

Each step is one timeline entry where the customer's story changes (opened, resolved,
reopened) and one audit row for every change. Who may see a request is who may see its
customer, and its assignee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, AccessDenied, Conflict, NotFound, ValidationFailed
from storage.interactions import log_interaction
from storage.models import (
    OPEN_REQUEST_STATUSES,
    Customer,
    Delivery,
    InteractionKind,
    Reminder,
    ReminderKind,
    ReminderStatus,
    RequestKind,
    RequestPriority,
    RequestStatus,
    ServiceRequest,
    User,
)
from storage.users import Actor, visible_to
from storage.validation import clean_text

# How soon a request with no stated time is due: the same day for an urgent one, the
# next working morning for a high one, three days and a week for the others (the usual
# service levels of a small support desk; a team that needs others says the time).
DUE_BY_PRIORITY = {
    RequestPriority.URGENT: timedelta(hours=4),
    RequestPriority.HIGH: timedelta(days=1),
    RequestPriority.NORMAL: timedelta(days=3),
    RequestPriority.LOW: timedelta(days=7),
}
PRIORITY_ORDER = {RequestPriority.URGENT.value: 0, RequestPriority.HIGH.value: 1,
                  RequestPriority.NORMAL.value: 2, RequestPriority.LOW.value: 3}
LISTED = 30


def default_due(priority: RequestPriority, now: datetime, timezone: str,
                default_hour: int) -> datetime:
    """When a request said with no time is due: an urgent one `DUE_BY_PRIORITY` from now;
    the others on that day at the team's default hour, where the member is."""
    wait = DUE_BY_PRIORITY[priority]
    if wait < timedelta(days=1):
        return now + wait
    day = (now.astimezone(ZoneInfo(timezone)) + wait).date()
    return datetime.combine(day, time(default_hour), tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class RequestDraft:
    customer_id: int
    problem: str
    kind: RequestKind = RequestKind.FAULT
    priority: RequestPriority = RequestPriority.NORMAL
    due_at: datetime | None = None
    assignee_id: int | None = None  # None: the member who logs it


def _visible_requests(actor: Actor) -> ColumnElement[bool]:
    return or_(visible_to(actor), ServiceRequest.assignee_id == actor.user_id)


async def _assignee(session: AsyncSession, actor: Actor, assignee_id: int | None) -> User:
    if assignee_id is not None and assignee_id != actor.user_id and not actor.is_manager:
        raise AccessDenied(N_("Only a manager can give a request to someone else."))
    user = await session.get(User, assignee_id or actor.user_id)
    if user is None or not user.active:
        raise NotFound(N_("That member is not in the team any more."))
    return user


def _ensure_ahead(due_at: datetime) -> None:
    if due_at <= utcnow():
        raise ValidationFailed("due", N_("That time has already passed. Please give a later one."))


async def open_request(session: AsyncSession, actor: Actor, draft: RequestDraft
                       ) -> ServiceRequest:
    """The request, its timeline entry, and its assignee's reminder at its due time."""
    customer = await load_customer(session, draft.customer_id, actor)
    problem = clean_text("problem", draft.problem, required=True) or ""
    assignee = await _assignee(session, actor, draft.assignee_id)
    if draft.due_at is not None:
        _ensure_ahead(draft.due_at)
    now = utcnow()
    request = ServiceRequest(
        customer_id=customer.id, kind=RequestKind(draft.kind),
        priority=RequestPriority(draft.priority), problem=problem, status=RequestStatus.OPEN,
        assignee_id=assignee.id, created_by_id=actor.user_id, due_at=draft.due_at,
        created_at=now)
    session.add(request)
    await session.flush()
    if draft.due_at is not None:
        request.reminder_id = await _remind(session, request, draft.due_at, actor.user_id)
    await log_interaction(session, actor, customer.id, kind=InteractionKind.REQUEST,
                          summary=f"#{request.id} {problem}")
    _audit(session, actor, request, "open")
    return request


async def _remind(session: AsyncSession, request: ServiceRequest, due_at: datetime,
                  created_by: int | None) -> int:
    reminder = Reminder(
        kind=ReminderKind.REQUEST, customer_id=request.customer_id,
        user_id=request.assignee_id, created_by_id=created_by, due_at=due_at,
        send_after=due_at, text=f"#{request.id}", status=ReminderStatus.OPEN,
        delivery=Delivery.PENDING, attempts=0, late=False, created_at=utcnow())
    session.add(reminder)
    await session.flush()
    return reminder.id


async def _close_reminder(session: AsyncSession, request: ServiceRequest) -> None:
    if request.reminder_id is None:
        return
    reminder = await session.get(Reminder, request.reminder_id)
    if reminder is not None and reminder.status == ReminderStatus.OPEN:
        reminder.status, reminder.done_at = ReminderStatus.DONE, utcnow()
        reminder.send_after = None


def _audit(session: AsyncSession, actor: Actor, request: ServiceRequest, action: str) -> None:
    """On the customer's history (/history), as every change to their record is."""
    audit.record(session, actor_id=actor.user_id, action=f"request_{action}",
                 entity="customer", entity_id=request.customer_id,
                 after={"request": request.id, "status": request.status,
                        "assignee": request.assignee_id, "kind": request.kind,
                        "priority": request.priority,
                        "due_at": request.due_at.isoformat() if request.due_at else None})


async def load_request(session: AsyncSession, request_id: int, actor: Actor) -> ServiceRequest:
    """The request, if the actor may see its customer or is its assignee."""
    request = await session.scalar(
        select(ServiceRequest).join(Customer, Customer.id == ServiceRequest.customer_id)
        .where(ServiceRequest.id == request_id, _visible_requests(actor)))
    if request is None:
        raise NotFound(N_("No request #{number} that you can see."), number=request_id)
    return request


def _responded(request: ServiceRequest, now: datetime) -> None:
    if request.first_response_at is None:
        request.first_response_at = now


async def start_request(session: AsyncSession, actor: Actor, request_id: int
                        ) -> ServiceRequest:
    """Someone is on it: in progress, and the first response if it was the first step."""
    request = await load_request(session, request_id, actor)
    if not request.is_open:
        raise Conflict(N_("That request is already resolved."))
    request.status = RequestStatus.IN_PROGRESS
    _responded(request, utcnow())
    _audit(session, actor, request, "start")
    return request


async def resolve_request(session: AsyncSession, actor: Actor, request_id: int,
                          resolution: str) -> ServiceRequest:
    """Resolved with what was done: on the timeline, its reminder closed."""
    request = await load_request(session, request_id, actor)
    if not request.is_open:
        raise Conflict(N_("That request is already resolved."))
    done = clean_text("resolution", resolution, required=True) or ""
    now = utcnow()
    request.status, request.resolved_at, request.resolution = RequestStatus.RESOLVED, now, done
    _responded(request, now)
    await _close_reminder(session, request)
    await log_interaction(session, actor, request.customer_id, kind=InteractionKind.REQUEST,
                          summary=f"#{request.id} ✅ {done}")
    _audit(session, actor, request, "resolve")
    return request


async def reopen_request(session: AsyncSession, actor: Actor, request_id: int, *,
                         due_at: datetime, reason: str = "") -> ServiceRequest:
    """Back to open, due again at `due_at` with a new reminder."""
    request = await load_request(session, request_id, actor)
    if request.is_open:
        raise Conflict(N_("That request is still open."))
    _ensure_ahead(due_at)
    request.status, request.resolved_at, request.due_at = RequestStatus.REOPENED, None, due_at
    request.reminder_id = await _remind(session, request, due_at, actor.user_id)
    why = clean_text("resolution", reason) or ""
    await log_interaction(session, actor, request.customer_id, kind=InteractionKind.REQUEST,
                          summary=f"#{request.id} 🔁 {why}".rstrip())
    _audit(session, actor, request, "reopen")
    return request


async def request_reminded(session: AsyncSession, reminder_id: int) -> ServiceRequest | None:
    """The request a reminder of kind "request" is about, if it is still open."""
    request = await session.scalar(
        select(ServiceRequest).where(ServiceRequest.reminder_id == reminder_id))
    return request if request is not None and request.is_open else None


async def open_requests(session: AsyncSession, actor: Actor, *, team: bool = False
                        ) -> list[ServiceRequest]:
    """Open requests, the most urgent and the earliest due first: the actor's own, or
    (`team`, managers) every one they may see."""
    who = _visible_requests(actor) if team and actor.is_manager \
        else ServiceRequest.assignee_id == actor.user_id
    # Ordered by the database before the limit: the 30 earliest due, sorted by priority
    # afterwards, could leave out an urgent one due later.
    urgency = case(PRIORITY_ORDER, value=ServiceRequest.priority)
    return list(await session.scalars(
        select(ServiceRequest).join(Customer, Customer.id == ServiceRequest.customer_id)
        .where(who, ServiceRequest.status.in_(OPEN_REQUEST_STATUSES))
        .order_by(urgency, ServiceRequest.due_at.is_(None), ServiceRequest.due_at,
                  ServiceRequest.created_at, ServiceRequest.id)
        .limit(LISTED)))


async def overdue_requests(session: AsyncSession, user_id: int, now: datetime, *,
                           limit: int = 10) -> list[ServiceRequest]:
    """A member's open requests past their due time: in every digest until resolved."""
    return list(await session.scalars(
        select(ServiceRequest).where(ServiceRequest.assignee_id == user_id,
                                     ServiceRequest.status.in_(OPEN_REQUEST_STATUSES),
                                     ServiceRequest.due_at < now)
        .order_by(ServiceRequest.due_at).limit(limit)))


async def open_request_count(session: AsyncSession, customer_id: int) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(ServiceRequest)
        .where(ServiceRequest.customer_id == customer_id,
               ServiceRequest.status.in_(OPEN_REQUEST_STATUSES))) or 0)


@dataclass(frozen=True)
class ResponseTimes:
    """One member's requests opened in a period: how many, how many resolved, and the
    median hours to the first response and to resolution."""

    member: str
    opened: int
    resolved: int
    first_response_hours: float | None
    resolution_hours: float | None


def _hours(spans: list[timedelta]) -> float | None:
    return round(median(s.total_seconds() for s in spans) / 3600, 1) if spans else None


async def response_times(session: AsyncSession, actor: Actor | None, since: datetime
                         ) -> list[ResponseTimes]:
    """Per assignee, the requests opened since `since` that the actor may see (None: the
    whole team's, for the Monday summary)."""
    query = (
        select(User.display_name, ServiceRequest.created_at, ServiceRequest.first_response_at,
               ServiceRequest.resolved_at)
        .join(User, User.id == ServiceRequest.assignee_id)
        .join(Customer, Customer.id == ServiceRequest.customer_id)
        .where(ServiceRequest.created_at >= since))
    rows = await session.execute(
        query if actor is None else query.where(_visible_requests(actor)))
    by_member: dict[str, list[tuple[datetime, datetime | None, datetime | None]]] = {}
    for name, created, responded, resolved in rows:
        by_member.setdefault(name, []).append((created, responded, resolved))
    return [ResponseTimes(
        name, len(items), sum(1 for *_, resolved in items if resolved is not None),
        _hours([responded - created for created, responded, _ in items if responded]),
        _hours([resolved - created for created, _, resolved in items if resolved]))
        for name, items in sorted(by_member.items())]

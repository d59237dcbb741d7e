"""Email campaigns: an audience chosen by filter words, a template, a send that can stop
and resume without writing twice to anyone, the opt-outs, and the measured effect.

Who: managers and admins (reps too where `email.reps_may_send`), on the customers they
may see. A draft keeps its audience words and template; starting it (`start`) is a
compare-and-set from draft to sending, so two members pressing Send start it once. The
audience is then fixed as rows of `campaign_recipients`: a customer without an email
address, whose address opted out or bounced, or whose address another customer of the
same campaign already has, is skipped with that reason (and counted); of the rest a
random share (`holdout_percent`, at most 10) is held out and gets nothing, the measure
of the effect; the others are to be sent to.

Sending is at most once per recipient: a row is marked `sending` and committed before
the message is handed to the server, then `sent`. A process that stops in between
leaves `sending`, which becomes `unknown` when sending resumes, never sent again (a
duplicate in a customer's inbox costs more than a rare lost one; the report counts
them). A server that is down or refuses the login pauses the campaign with why; the
row goes back to pending. A server that refuses one address marks it bouncing: no later
campaign writes to it. Each sent message is an entry on the customer's timeline (kind
`campaign`, which is not a contact: it moves no quiet clock and counts toward no
target).

The unsubscribe link carries a token made when its message is sent; the row keeps only
its SHA-256. Using it suppresses the address at once, for every later campaign; used
again it says the same; a token that was never made is a 404 (webapp/unsubscribe.py).

The effect (`report`): after the window (30 days by default) from the start, for the
customers sent to and those held out, the share who bought, the revenue, and the
contacts logged; the relative lift in the share who bought with its 95% confidence
interval (Katz's log method for a ratio of two proportions), and in words whether it is
distinguishable from no effect, or whether the holdout is too small to tell.
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import audit
from storage.clock import utcnow
from storage.errors import N_, AccessDenied, Conflict, NotFound, ValidationFailed
from storage.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    ContactKind,
    ContactPoint,
    Customer,
    EmailSuppression,
    Interaction,
    InteractionKind,
    Purchase,
    RecipientGroup,
    Role,
    SendStatus,
    User,
    format_code,
)
from storage.targets import CONTACT_KINDS
from storage.users import Actor

HOLDOUT_LIMIT = 10  # percent: more would withhold the message from too many customers
SMALLEST_HOLDOUT = 30  # customers held out below which the report cannot tell anything
UNSUBSCRIBE_PATH = "/u/"
Z95 = 1.959963984540054


def may_run_campaigns(actor: Actor, reps_may_send: bool) -> None:
    if actor.role is Role.REP and not reps_may_send:
        raise AccessDenied(N_("Campaigns are for managers and admins in this team."))


def unsubscribe_link(public_url: str, token: str) -> str:
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}{UNSUBSCRIBE_PATH}{token}"


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Audience:
    """Who a campaign reaches: to send, held out, and skipped by reason."""

    send: int = 0
    holdout: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.send + self.holdout + sum(self.skipped.values())


async def new_campaign(session: AsyncSession, actor: Actor, audience: str, *,
                       holdout_percent: int = 10, window_days: int = 30) -> Campaign:
    if not 0 <= holdout_percent <= HOLDOUT_LIMIT:
        raise ValidationFailed("holdout", N_("The holdout is from 0 to {limit}%."),
                               limit=HOLDOUT_LIMIT)
    campaign = Campaign(created_by_id=actor.user_id, audience=audience[:500], subject="",
                        body="", status=CampaignStatus.DRAFT,
                        holdout_percent=holdout_percent, window_days=window_days,
                        created_at=utcnow())
    session.add(campaign)
    await session.flush()
    return campaign


async def load_campaign(session: AsyncSession, actor: Actor, campaign_id: int) -> Campaign:
    """A campaign its creator, or a manager, may act on."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(N_("That campaign no longer exists."))
    if campaign.created_by_id != actor.user_id and not actor.is_manager:
        raise AccessDenied(N_("That campaign is a colleague's."))
    return campaign


async def set_template(session: AsyncSession, actor: Actor, campaign_id: int, *,
                       subject: str | None = None, body: str | None = None) -> Campaign:
    """A draft's subject or body (already checked: bot/mail/templates.py)."""
    campaign = await load_campaign(session, actor, campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(N_("This campaign was started; its text can no longer change."))
    if subject is not None:
        campaign.subject = subject
    if body is not None:
        campaign.body = body
    return campaign


async def _emails(session: AsyncSession, customer_ids: list[int]) -> dict[int, str]:
    """Each customer's first email address, lower case."""
    found: dict[int, str] = {}
    for customer_id, value in await session.execute(
            select(ContactPoint.customer_id, ContactPoint.value)
            .where(ContactPoint.customer_id.in_(customer_ids),
                   ContactPoint.kind == ContactKind.EMAIL)
            .order_by(ContactPoint.customer_id, ContactPoint.id)):
        found.setdefault(customer_id, value.strip().lower())
    return found


async def _suppressed(session: AsyncSession, emails: list[str]) -> dict[str, str]:
    if not emails:
        return {}
    return {email: reason for email, reason in await session.execute(
        select(EmailSuppression.email, EmailSuppression.reason)
        .where(EmailSuppression.email.in_(emails)))}


async def _audience_rows(session: AsyncSession, chosen: ColumnElement[bool]
                         ) -> list[tuple[int, str | None, str | None]]:
    """(customer, address, why skipped) for every customer `chosen` picks, by id."""
    ids = list(await session.scalars(
        select(Customer.id).where(chosen, Customer.merged_into_id.is_(None),
                                  Customer.archived.is_(False), Customer.erased_at.is_(None))
        .order_by(Customer.id)))
    rows: list[tuple[int, str | None, str | None]] = []
    taken: set[str] = set()
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        emails = await _emails(session, part)
        suppressed = await _suppressed(session, list(set(emails.values())))
        for customer_id in part:
            email = emails.get(customer_id)
            reason = ("no_email" if email is None else
                      "opted_out" if suppressed.get(email) == "unsubscribed" else
                      "bounced" if email in suppressed else
                      "same_address" if email in taken else None)
            if email is not None and reason is None:
                taken.add(email)
            rows.append((customer_id, email, reason))
    return rows


async def audience_preview(session: AsyncSession, chosen: ColumnElement[bool],
                           holdout_percent: int) -> Audience:
    """What starting now would do, counted, without choosing anyone."""
    found = Audience()
    eligible = 0
    for _, _, reason in await _audience_rows(session, chosen):
        if reason is None:
            eligible += 1
        else:
            found.skipped[reason] = found.skipped.get(reason, 0) + 1
    found.holdout = round(eligible * holdout_percent / 100)
    found.send = eligible - found.holdout
    return found


async def sample_fields(session: AsyncSession, chosen: ColumnElement[bool], limit: int = 3
                        ) -> list[tuple[str, dict[str, str]]]:
    """The address and merge fields of the first customers who would get the message (the
    preview)."""
    found = []
    for customer_id, email, reason in await _audience_rows(session, chosen):
        if reason is None and email is not None:
            found.append((email, await merge_fields(session, customer_id)))
            if len(found) == limit:
                break
    return found


_OWNER = aliased(User)
# The merge fields' columns (bot/mail/templates.py FIELDS), read with the customer's owner.
_FIELD_COLUMNS = (Customer.id, Customer.name, Customer.company, Customer.title,
                  Customer.region, Customer.source, _OWNER.display_name)


def _fields(row: Sequence[Any]) -> dict[str, str]:
    customer_id, *values = row
    return {**dict(zip(("name", "company", "title", "region", "source", "owner"),
                       (value or "" for value in values), strict=True)),
            "code": format_code(customer_id)}


async def merge_fields(session: AsyncSession, customer_id: int) -> dict[str, str]:
    row = (await session.execute(
        select(*_FIELD_COLUMNS).outerjoin(_OWNER, _OWNER.id == Customer.owner_id)
        .where(Customer.id == customer_id))).one()
    return _fields(row)


async def start(session: AsyncSession, actor: Actor, campaign_id: int,
                chosen: ColumnElement[bool], *, seed: int | None = None) -> Audience:
    """Draft to sending, once; the audience fixed and the holdout drawn."""
    campaign = await load_campaign(session, actor, campaign_id)
    if not campaign.subject or not campaign.body:
        raise ValidationFailed("template", N_("A campaign needs a subject and a body."))
    started = await session.execute(
        update(Campaign).where(Campaign.id == campaign.id,
                               Campaign.status == CampaignStatus.DRAFT)
        .values(status=CampaignStatus.SENDING, started_at=utcnow()))
    if not getattr(started, "rowcount", 0):
        raise Conflict(N_("This campaign was already started."))
    rows = await _audience_rows(session, chosen)
    eligible = [(customer_id, email) for customer_id, email, reason in rows if reason is None]
    draw = random.Random(seed if seed is not None else secrets.randbits(64))
    held = set(draw.sample(range(len(eligible)),
                           round(len(eligible) * campaign.holdout_percent / 100)))
    found = Audience()
    for customer_id, email, reason in rows:
        if reason is not None:
            found.skipped[reason] = found.skipped.get(reason, 0) + 1
            session.add(CampaignRecipient(campaign_id=campaign.id, customer_id=customer_id,
                                          group=RecipientGroup.SKIPPED, reason=reason,
                                          email=email))
    for n, (customer_id, email) in enumerate(eligible):
        holdout = n in held
        found.holdout += holdout
        found.send += not holdout
        session.add(CampaignRecipient(
            campaign_id=campaign.id, customer_id=customer_id, email=email,
            group=RecipientGroup.HOLDOUT if holdout else RecipientGroup.SEND,
            status=None if holdout else SendStatus.PENDING))
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="campaign_start", entity="campaign",
                 entity_id=campaign.id, after={"send": found.send, "holdout": found.holdout,
                                               "skipped": found.skipped})
    return found


async def stop(session: AsyncSession, actor: Actor, campaign_id: int) -> Campaign:
    """No more messages; what was sent stays sent."""
    campaign = await load_campaign(session, actor, campaign_id)
    if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED,
                               CampaignStatus.DRAFT):
        raise Conflict(N_("This campaign has finished already."))
    campaign.status, campaign.finished_at = CampaignStatus.CANCELLED, utcnow()
    return campaign


async def resume(session: AsyncSession, actor: Actor, campaign_id: int) -> Campaign:
    campaign = await load_campaign(session, actor, campaign_id)
    if campaign.status != CampaignStatus.PAUSED:
        raise Conflict(N_("Only a paused campaign can be resumed."))
    campaign.status, campaign.problem = CampaignStatus.SENDING, None
    return campaign


# ---- the send, one recipient at a time ----------------------------------------------

@dataclass(frozen=True)
class Claimed:
    recipient_id: int
    campaign_id: int
    customer_id: int
    email: str
    token: str  # for the unsubscribe link; only its hash is kept
    fields: dict[str, str]  # the merge fields, read with the claim
    created_by_id: int  # whose name the timeline entry carries


async def settle_interrupted(session: AsyncSession) -> int:
    """Rows a stopped process left between handed over and sent: unknown, never resent."""
    result = await session.execute(
        update(CampaignRecipient).where(CampaignRecipient.status == SendStatus.SENDING)
        .values(status=SendStatus.UNKNOWN))
    return int(getattr(result, "rowcount", 0) or 0)


async def sending_campaigns(session: AsyncSession) -> list[Campaign]:
    return list(await session.scalars(select(Campaign).where(
        Campaign.status == CampaignStatus.SENDING).order_by(Campaign.id)))


async def claim_next(session: AsyncSession, campaign_id: int) -> Claimed | None:
    """The next pending recipient of a campaign still sending, marked as being handed over
    (commit before sending), with its merge fields; None when there is none, or when the
    campaign was paused or stopped meanwhile. Two senders never claim the same row."""
    found = (await session.execute(
        select(CampaignRecipient.id, CampaignRecipient.email, Campaign.created_by_id,
               *_FIELD_COLUMNS)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .join(Customer, Customer.id == CampaignRecipient.customer_id)
        .outerjoin(_OWNER, _OWNER.id == Customer.owner_id)
        .where(CampaignRecipient.campaign_id == campaign_id,
               CampaignRecipient.status == SendStatus.PENDING,
               Campaign.status == CampaignStatus.SENDING)
        .order_by(CampaignRecipient.id).limit(1))).first()
    if found is None:
        return None
    recipient_id, email, created_by, *fields = found
    token = secrets.token_urlsafe(24)
    claimed = await session.execute(
        update(CampaignRecipient).where(CampaignRecipient.id == recipient_id,
                                        CampaignRecipient.status == SendStatus.PENDING)
        .values(status=SendStatus.SENDING, token_hash=_hashed(token)))
    if not getattr(claimed, "rowcount", 0):
        return None  # another sender took it first
    return Claimed(recipient_id, campaign_id, fields[0], email or "", token, _fields(fields),
                   created_by)


async def mark_sent(session: AsyncSession, claimed: Claimed, subject: str) -> None:
    now = utcnow()
    await session.execute(update(CampaignRecipient).where(
        CampaignRecipient.id == claimed.recipient_id).values(status=SendStatus.SENT,
                                                             sent_at=now))
    session.add(Interaction(customer_id=claimed.customer_id, user_id=claimed.created_by_id,
                            kind=InteractionKind.CAMPAIGN, occurred_at=now,
                            summary=f"📧 {subject}"[:500], created_at=now))


async def mark_refused(session: AsyncSession, claimed: Claimed, error: str) -> None:
    """The server refused the address: it is bouncing, and no campaign writes to it."""
    await session.execute(update(CampaignRecipient).where(
        CampaignRecipient.id == claimed.recipient_id).values(status=SendStatus.REFUSED,
                                                             error=error[:300]))
    await _suppress(session, claimed.email, "bounced", claimed.customer_id,
                    claimed.campaign_id)


async def mark_uncertain(session: AsyncSession, claimed: Claimed, error: str) -> None:
    """The hand-over broke off: it may have arrived, so it is never sent again."""
    await session.execute(update(CampaignRecipient).where(
        CampaignRecipient.id == claimed.recipient_id).values(status=SendStatus.UNKNOWN,
                                                             error=error[:300]))


async def put_back(session: AsyncSession, claimed: Claimed) -> None:
    """Not handed over after all (the server could not be reached): pending again."""
    await session.execute(update(CampaignRecipient).where(
        CampaignRecipient.id == claimed.recipient_id).values(status=SendStatus.PENDING,
                                                             token_hash=None))


async def pause(session: AsyncSession, campaign_id: int, problem: str) -> Campaign | None:
    """Sending to paused, with why; the campaign when this call paused it (None when it
    was paused, stopped or done already: whoever started it is told once)."""
    paused = await session.execute(
        update(Campaign).where(Campaign.id == campaign_id,
                               Campaign.status == CampaignStatus.SENDING)
        .values(status=CampaignStatus.PAUSED, problem=problem[:300]))
    if not getattr(paused, "rowcount", 0):
        return None
    return await session.get(Campaign, campaign_id, populate_existing=True)


async def finish_if_done(session: AsyncSession, campaign_id: int) -> Campaign | None:
    """The campaign, marked done by this call, when nobody is left pending; else None."""
    left = select(CampaignRecipient.id).where(
        CampaignRecipient.campaign_id == campaign_id,
        CampaignRecipient.status.in_((SendStatus.PENDING, SendStatus.SENDING)))
    finished = await session.execute(
        update(Campaign).where(Campaign.id == campaign_id,
                               Campaign.status == CampaignStatus.SENDING, ~left.exists())
        .values(status=CampaignStatus.DONE, finished_at=utcnow()))
    if not getattr(finished, "rowcount", 0):
        return None
    return await session.get(Campaign, campaign_id, populate_existing=True)


# ---- opting out --------------------------------------------------------------------

async def _suppress(session: AsyncSession, email: str, reason: str, customer_id: int | None,
                    campaign_id: int | None) -> None:
    existing = await session.get(EmailSuppression, email)
    if existing is None:
        session.add(EmailSuppression(email=email, reason=reason, customer_id=customer_id,
                                     campaign_id=campaign_id, at=utcnow()))
    elif reason == "unsubscribed":  # the customer's own word outranks a bounce
        existing.reason = reason


async def recipient_of(session: AsyncSession, token: str) -> CampaignRecipient | None:
    if not token or len(token) > 64:
        return None
    return await session.scalar(select(CampaignRecipient).where(
        CampaignRecipient.token_hash == _hashed(token)))


async def unsubscribe(session: AsyncSession, token: str) -> bool:
    """The token's address opts out of every later campaign; False: no such token."""
    recipient = await recipient_of(session, token)
    if recipient is None or recipient.email is None:
        return False
    await _suppress(session, recipient.email, "unsubscribed", recipient.customer_id,
                    recipient.campaign_id)
    return True


async def opted_out(session: AsyncSession, customer_id: int) -> datetime | None:
    """When one of the customer's addresses opted out (None: none did)."""
    emails = list(await session.scalars(select(func.lower(ContactPoint.value)).where(
        ContactPoint.customer_id == customer_id, ContactPoint.kind == ContactKind.EMAIL)))
    if not emails:
        return None
    return await session.scalar(select(func.min(EmailSuppression.at)).where(
        EmailSuppression.email.in_(emails), EmailSuppression.reason == "unsubscribed"))


# ---- the effect ----------------------------------------------------------------------

@dataclass(frozen=True)
class Arm:
    """One side of the comparison: the customers sent to, or those held out."""

    customers: int
    buyers: int
    revenue: dict[str, int]
    contacts: int

    @property
    def rate(self) -> float:
        return self.buyers / self.customers if self.customers else 0.0


@dataclass(frozen=True)
class Lift:
    """The relative lift in the share who bought (sent ÷ held out − 1), with its 95%
    interval; None where it cannot be computed (no buyer on a side)."""

    estimate: float | None
    low: float | None
    high: float | None

    @property
    def distinguishable(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0
                                                                   or self.high < 0)


def relative_lift(buyers_sent: int, sent: int, buyers_held: int, held: int) -> Lift:
    """Katz's log interval for a ratio of two proportions, as a lift (ratio − 1)."""
    if not (buyers_sent and buyers_held and sent and held):
        return Lift(None, None, None)
    ratio = (buyers_sent / sent) / (buyers_held / held)
    spread = math.sqrt(1 / buyers_sent - 1 / sent + 1 / buyers_held - 1 / held)
    return Lift(ratio - 1, math.exp(math.log(ratio) - Z95 * spread) - 1,
                math.exp(math.log(ratio) + Z95 * spread) - 1)


@dataclass(frozen=True)
class Report:
    campaign: Campaign
    counts: dict[str, int]  # sent, refused, unknown, pending, holdout, skipped
    sent: Arm
    held: Arm
    lift: Lift
    window_ends: datetime | None

    @property
    def too_small(self) -> bool:
        return self.held.customers < SMALLEST_HOLDOUT


async def recipient_counts(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    """Sent, refused, unknown, pending (of those to send to), holdout and skipped."""
    counts: dict[str, int] = {}
    for group, status, count in await session.execute(
            select(CampaignRecipient.group, CampaignRecipient.status, func.count())
            .where(CampaignRecipient.campaign_id == campaign_id)
            .group_by(CampaignRecipient.group, CampaignRecipient.status)):
        key = (status or SendStatus.PENDING) if group == RecipientGroup.SEND else group
        counts[key] = counts.get(key, 0) + int(count)
    return counts


async def report(session: AsyncSession, campaign: Campaign) -> Report:
    counts = await recipient_counts(session, campaign.id)
    since = campaign.started_at
    until = since + timedelta(days=campaign.window_days) if since else None
    sent = await _arm(session, campaign.id, [SendStatus.SENT], since, until)
    held = await _arm(session, campaign.id, None, since, until)
    return Report(campaign, counts, sent, held,
                  relative_lift(sent.buyers, sent.customers, held.buyers, held.customers),
                  until)


async def _arm(session: AsyncSession, campaign_id: int, statuses: list[SendStatus] | None,
               since: datetime | None, until: datetime | None) -> Arm:
    members = select(CampaignRecipient.customer_id).where(
        CampaignRecipient.campaign_id == campaign_id,
        CampaignRecipient.status.in_(statuses) if statuses is not None
        else CampaignRecipient.group == RecipientGroup.HOLDOUT)
    customers = int(await session.scalar(select(func.count()).select_from(
        members.subquery())) or 0)
    if since is None or until is None or not customers:
        return Arm(customers, 0, {}, 0)
    window = (Purchase.occurred_at >= since, Purchase.occurred_at < until)
    buyers = int(await session.scalar(select(func.count(func.distinct(Purchase.customer_id)))
                                      .where(Purchase.customer_id.in_(members), *window)) or 0)
    revenue = {currency: int(total or 0) for currency, total in await session.execute(
        select(Purchase.currency, func.sum(Purchase.amount_minor - Purchase.returned_minor))
        .where(Purchase.customer_id.in_(members), *window).group_by(Purchase.currency))}
    contacts = int(await session.scalar(select(func.count()).select_from(Interaction).where(
        Interaction.customer_id.in_(members), Interaction.kind.in_(CONTACT_KINDS),
        Interaction.occurred_at >= since, Interaction.occurred_at < until)) or 0)
    return Arm(customers, buyers, revenue, contacts)


async def recent_campaigns(session: AsyncSession, actor: Actor, limit: int = 10
                           ) -> list[Campaign]:
    query = select(Campaign).where(Campaign.status != CampaignStatus.DRAFT)
    if not actor.is_manager:
        query = query.where(Campaign.created_by_id == actor.user_id)
    return list(await session.scalars(query.order_by(Campaign.id.desc()).limit(limit)))

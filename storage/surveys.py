"""The customer's own answer: a satisfaction survey sent as a link, answered once.

A member makes a link for one customer (after a resolved request or a purchase); the link
carries a random token of 192 bits, and the table keeps only its SHA-256, so neither the
table nor a guess opens a survey. A survey opens while it is unanswered and younger than
`VALID_FOR`; anything else (answered, expired, forged, never made) is the same "no such
survey", so a link tells nothing about whether it ever existed. It is answered once:
the answer is written only where `answered_at` is still empty, so a double submit or two
tabs store one answer.

The answer (1-5 stars, an optional 0-10 "would you recommend us", an optional comment)
lands on the customer's timeline as the customer's own, apart from the scores members
record (storage/sales/satisfaction.py); 1-2 stars or 0-6 becomes a follow-up for the
customer's owner at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.customers import load_customer
from storage.errors import N_, ValidationFailed
from storage.models import (
    Customer,
    Delivery,
    Interaction,
    InteractionKind,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Survey,
)
from storage.requests import load_request
from storage.users import Actor, visible_to
from storage.validation import clean_text

VALID_FOR = timedelta(days=30)
PATH = "/s/"  # where the Mini App's server answers a survey (webapp/survey.py)
LOW_STARS, LOW_RECOMMEND = 2, 6
COMMENT_LIMIT = 2000


def survey_link(public_url: str, token: str) -> str:
    """The survey's address on the Mini App's public host (`webapp.url`)."""
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}{PATH}{token}"


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


CHINESE_REGIONS = ("CN", "TW", "HK", "MO", "SG")


def team_language(region: str) -> str:
    """The language a team's customers read by default, from its region."""
    return "zh_CN" if region in CHINESE_REGIONS else "en"


def survey_language(customer: Customer, region: str) -> str:
    """Chinese for a customer whose name or company is written in Han characters, else
    the language of the team's region."""
    text = f"{customer.name}{customer.company or ''}"
    return "zh_CN" if any("\u4e00" <= c <= "\u9fff" for c in text) else team_language(region)


async def new_survey(session: AsyncSession, actor: Actor, customer_id: int, *,
                     request_id: int | None = None, purchase_id: int | None = None,
                     language: str) -> tuple[Survey, str]:
    """A survey for the customer and its token (shown once, in the link)."""
    customer = await load_customer(session, customer_id, actor)
    if request_id is not None:
        request = await load_request(session, request_id, actor)
        customer = request.customer
    token = secrets.token_urlsafe(24)
    now = utcnow()
    survey = Survey(customer_id=customer.id, created_by_id=actor.user_id,
                    request_id=request_id, purchase_id=purchase_id, token_hash=_hashed(token),
                    language=language, created_at=now, expires_at=now + VALID_FOR)
    session.add(survey)
    await session.flush()
    audit.record(session, actor_id=actor.user_id, action="survey", entity="customer",
                 entity_id=customer.id, after={"survey": survey.id, "request": request_id})
    return survey, token


async def open_survey(session: AsyncSession, token: str) -> Survey | None:
    """The survey a token opens: unanswered and not expired; None for anything else."""
    if not token or len(token) > 64:
        return None
    survey = await session.scalar(select(Survey).where(Survey.token_hash == _hashed(token)))
    if survey is None or survey.answered_at is not None or survey.expires_at <= utcnow():
        return None
    return survey


@dataclass(frozen=True)
class Answer:
    stars: int
    recommend: int | None
    comment: str | None


def checked_answer(stars: str | None, recommend: str | None, comment: str | None) -> Answer:
    """The form's fields as an answer, or ValidationFailed saying which one is wrong."""
    if stars is None or not stars.isdigit() or not 1 <= int(stars) <= 5:
        raise ValidationFailed("stars", N_("Please choose from 1 to 5 stars."))
    score = None
    if recommend:
        if not recommend.isdigit() or not 0 <= int(recommend) <= 10:
            raise ValidationFailed("recommend", N_("Please choose a number from 0 to 10."))
        score = int(recommend)
    said = (comment or "").strip()
    if len(said) > COMMENT_LIMIT:
        raise ValidationFailed("comment", N_(
            "The comment is too long: {length} characters, at most {limit}."),
            length=len(said), limit=COMMENT_LIMIT)
    return Answer(int(stars), score, clean_text("summary", said))


def is_low(answer: Answer) -> bool:
    return answer.stars <= LOW_STARS or (answer.recommend is not None
                                         and answer.recommend <= LOW_RECOMMEND)


def answer_line(answer: Answer) -> str:
    """The timeline's words for an answer: stars, the 0-10 score, the comment."""
    parts = ["★" * answer.stars + "☆" * (5 - answer.stars) + f" {answer.stars}/5"]
    if answer.recommend is not None:
        parts.append(f"NPS {answer.recommend}/10")
    if answer.comment:
        parts.append(f"“{answer.comment}”")
    return " · ".join(parts)


async def answer_survey(session: AsyncSession, survey: Survey, answer: Answer) -> bool:
    """Stores the answer once; False when another submit stored one first."""
    now = utcnow()
    stored = await session.execute(
        update(Survey).where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(answered_at=now, stars=answer.stars, recommend=answer.recommend,
                comment=answer.comment))
    if getattr(stored, "rowcount", 0) != 1:
        return False
    customer = await session.get(Customer, survey.customer_id)
    assert customer is not None
    session.add(Interaction(customer_id=customer.id, user_id=None, kind=InteractionKind.SURVEY,
                            occurred_at=now, summary=answer_line(answer), created_at=now))
    if is_low(answer):
        owner = customer.owner_id or survey.created_by_id
        if owner is not None:
            session.add(Reminder(
                kind=ReminderKind.FOLLOWUP, customer_id=customer.id, user_id=owner,
                created_by_id=None, due_at=now, send_after=now,
                text=("⭐ " + answer_line(answer))[:500], status=ReminderStatus.OPEN,
                delivery=Delivery.PENDING, attempts=0, late=False, created_at=now))
    audit.record(session, actor_id=None, action="survey_answered", entity="customer",
                 entity_id=customer.id, after={"survey": survey.id, "stars": answer.stars,
                                               "recommend": answer.recommend})
    return True


@dataclass(frozen=True)
class SurveyFigures:
    """What customers said: answers, mean stars, and the net promoter score (promoters
    9-10 less detractors 0-6, in percent of those who gave the 0-10 score)."""

    answers: int
    mean_stars: float | None
    net_promoter: int | None


async def survey_figures(session: AsyncSession, actor: Actor, since: datetime
                         ) -> SurveyFigures:
    rows = (await session.execute(
        select(func.count(), func.avg(Survey.stars),
               func.count(Survey.recommend),
               func.sum(case((Survey.recommend >= 9, 1), else_=0)),
               func.sum(case((Survey.recommend <= LOW_RECOMMEND, 1), else_=0)))
        .join(Customer, Customer.id == Survey.customer_id)
        .where(Survey.answered_at >= since, visible_to(actor)))).one()
    answers, mean, scored, promoters, detractors = rows
    net = round(100 * ((promoters or 0) - (detractors or 0)) / scored) if scored else None
    return SurveyFigures(int(answers or 0), round(float(mean), 1) if mean is not None else None,
                         net)

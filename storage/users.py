"""Team members, roles, visibility and one-time invites."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from zoneinfo import available_timezones

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.clock import utcnow
from storage.errors import N_, AccessDenied, NotFound, ValidationFailed
from storage.models import Customer, Invite, Role, User, customer_shares


class Visibility(StrEnum):
    TEAM = "team"  # every member sees every customer of the team
    OWN = "own"  # reps see only the customers they own


@dataclass(frozen=True)
class Profile:
    """What Telegram tells us about a person."""

    telegram_id: int
    display_name: str
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Actor:
    """The member acting in this update, as plain values."""

    user_id: int
    telegram_id: int
    role: Role
    language: str
    timezone: str
    display_name: str
    sees_whole_team: bool

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


def ensure_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise AccessDenied(N_("Only an admin can do that."))


def ensure_manager(actor: Actor) -> None:
    if not actor.is_manager:
        raise AccessDenied(N_("Only a manager or an admin can do that."))


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The customers the actor may see, as SQL: all of the team's, or their own and those
    a colleague shared with them."""
    if actor.sees_whole_team:
        return true()
    shared = select(customer_shares.c.customer_id).where(
        customer_shares.c.user_id == actor.user_id)
    return or_(Customer.owner_id == actor.user_id, Customer.id.in_(shared))


def can_see(actor: Actor, customer: Customer) -> bool:
    return (actor.sees_whole_team or customer.owner_id == actor.user_id
            or any(user.id == actor.user_id for user in customer.shared_with))


def language_from_telegram(code: str | None) -> str:
    return "zh_CN" if code and code.lower().startswith("zh") else "en"


def actor_for(user: User, policy: Visibility) -> Actor:
    role = Role(user.role)
    return Actor(
        user_id=user.id,
        telegram_id=user.telegram_id,
        role=role,
        language=user.language,
        timezone=user.timezone,
        display_name=user.display_name,
        sees_whole_team=role is not Role.REP or policy is Visibility.TEAM,
    )


async def find_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def _refresh_profile(user: User, profile: Profile) -> None:
    user.blocked_at = None  # they are writing to the bot, so they no longer block it
    user.display_name = profile.display_name[:128]
    user.username = profile.username[:64] if profile.username else None
    if not user.language_chosen:
        user.language = language_from_telegram(profile.language_code)


async def admit(
    session: AsyncSession, profile: Profile, *, admin_ids: frozenset[int], timezone: str
) -> User | None:
    """The active member behind this Telegram account, creating configured admins on sight."""
    user = await find_by_telegram_id(session, profile.telegram_id)
    if user is None and profile.telegram_id in admin_ids:
        user = User(telegram_id=profile.telegram_id, role=Role.ADMIN, timezone=timezone)
        _refresh_profile(user, profile)
        session.add(user)
        await session.flush()
        audit.record(
            session, actor_id=user.id, action="join", entity="user", entity_id=user.id,
            after={"role": user.role, "via": "config"},
        )
        return user
    if user is None or not user.active:
        return None
    if profile.telegram_id in admin_ids and user.role != Role.ADMIN:
        user.role = Role.ADMIN
    _refresh_profile(user, profile)
    return user


INVITE_TTL = timedelta(days=7)


async def create_invite(session: AsyncSession, actor: Actor, role: Role) -> Invite:
    if actor.role is Role.REP or (actor.role is Role.MANAGER and role is not Role.REP):
        raise AccessDenied(N_("You cannot invite a {role}."), role=role.value)
    if role is Role.ADMIN:
        raise AccessDenied(N_("Admins are set in the configuration file, not invited."))
    now = utcnow()
    invite = Invite(
        token=secrets.token_urlsafe(16),
        role=role,
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(invite)
    await session.flush()
    audit.record(
        session, actor_id=actor.user_id, action="invite", entity="invite", entity_id=invite.id,
        after={"role": role.value},
    )
    return invite


async def redeem_invite(
    session: AsyncSession, token: str, profile: Profile, *, timezone: str
) -> User:
    """Makes the holder of a valid, unused invite a member; an invite works once."""
    invite = await session.scalar(
        select(Invite).where(Invite.token == token[:32]).with_for_update()
    )
    if invite is None or invite.used_at is not None or invite.expires_at < utcnow():
        raise NotFound(N_("This invite link is not valid any more. Ask for a new one."))
    user = await find_by_telegram_id(session, profile.telegram_id)
    if user is None:
        user = User(telegram_id=profile.telegram_id, role=invite.role, timezone=timezone)
        session.add(user)
    else:
        user.role = invite.role
        user.active = True
    _refresh_profile(user, profile)
    await session.flush()
    invite.used_by_id = user.id
    invite.used_at = utcnow()
    audit.record(
        session, actor_id=user.id, action="join", entity="user", entity_id=user.id,
        after={"role": user.role, "via": "invite", "invite_id": invite.id},
    )
    return user


async def set_language(session: AsyncSession, user_id: int, language: str) -> None:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Unknown user."))
    user.language = language
    user.language_chosen = True


async def set_timezone(session: AsyncSession, user_id: int, timezone: str) -> str:
    """Accepts an IANA zone name in any case ("asia/shanghai"); returns its proper form."""
    wanted = timezone.strip().replace(" ", "_").lower()
    match = next((z for z in available_timezones() if z.lower() == wanted), None)
    if match is None:
        raise ValidationFailed("timezone", N_("Unknown time zone. Try e.g. Asia/Shanghai."))
    user = await session.get(User, user_id)
    if user is not None:
        user.timezone = match
    return match

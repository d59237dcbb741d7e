"""A member's calendar feed, /cal/<token>.ics (RFC 5545, the `icalendar` package): their
open follow-ups and service requests at their times, collections as all-day events, in
the member's time zone with its VTIMEZONE, in their language.

Each event's UID is its reminder's, so a calendar app updates an event that moved
instead of adding a second one. Each links back to the customer's card in the chat
(Telegram's start link, opened by handlers/start.py). REFRESH-INTERVAL and
X-PUBLISHED-TTL ask for an hourly refresh; some apps refresh subscriptions only a few
times a day whatever they are told (the chat says so). Every wrong address gets the same
404, as the survey's do.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Event, vDDDTypes

from bot.messages.i18n import N_, Translate, translator
from bot.understanding.amounts import Money, format_money
from storage.calendars import PATH, SUFFIX, CalendarEntry, calendar_entries, feed_owner
from storage.clock import utcnow
from storage.database import Database
from storage.models import ReminderKind, User

REFRESH = timedelta(hours=1)
FOLLOW_UP_LENGTH = timedelta(minutes=30)
FOLLOW_UP = N_("Follow up with {name}")
COLLECT = N_("Collect {amount} from {name} (installment {number})")
REQUEST = N_("Service request of {name}")
OPEN_CARD = N_("Open the card in the chat: {link}")
FEED_NAME = N_("salesbot follow-ups")


def card_link(customer_id: int, bot_username: str | None, public_url: str) -> str:
    """Where an event leads back to: the customer's card in the chat (Telegram's start
    link) or, before the bot's name is known, the Mini App at that customer."""
    if bot_username:
        return f"https://t.me/{bot_username}?start=c{customer_id}"
    joined = "&" if "?" in public_url else "?"
    return f"{public_url}{joined}customer={customer_id}"


def feed_text(user: User, entries: list[CalendarEntry], *, host: str, bot_username: str | None,
              public_url: str) -> bytes:
    t = translator(user.language)
    zone = ZoneInfo(user.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//salesbot//follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{t(FEED_NAME)} · {user.display_name}")
    calendar.add("x-wr-timezone", user.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDDDTypes(REFRESH))
    stamp = utcnow()
    for entry in entries:
        calendar.add_component(_event(t, entry, zone, stamp, host=host,
                                      bot_username=bot_username, public_url=public_url))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _event(t: Translate, entry: CalendarEntry, zone: ZoneInfo, stamp: object, *, host: str,
           bot_username: str | None, public_url: str) -> Event:
    reminder, customer = entry.reminder, entry.customer
    name = customer.name if customer is not None else "—"
    event = Event()
    event.add("uid", f"reminder-{reminder.id}@{host}")
    event.add("dtstamp", stamp)
    if entry.installment is not None:
        left = entry.installment.amount_minor - entry.installment.paid_minor
        event.add("summary", "💴 " + t(COLLECT).format(
            amount=format_money(Money.from_minor(left, entry.installment.currency)),
            name=name, number=reminder.text))
        event.add("dtstart", entry.installment.due_on)  # an all-day event
        event.add("dtend", entry.installment.due_on + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        icon = "🛠 " if reminder.kind == ReminderKind.REQUEST else "📞 "
        title = t(REQUEST if reminder.kind == ReminderKind.REQUEST else FOLLOW_UP).format(
            name=name)
        event.add("summary", icon + (f"{title}: {reminder.text}" if reminder.text else title))
        start = reminder.due_at.astimezone(zone)
        event.add("dtstart", start)
        event.add("dtend", start + FOLLOW_UP_LENGTH)
    lines = [reminder.text] if reminder.text and entry.installment is None else []
    if customer is not None:
        link = card_link(customer.id, bot_username, public_url)
        event.add("url", link)
        lines.append(f"{customer.name} {customer.code}")
        lines.append(t(OPEN_CARD).format(link=link))
    if lines:
        event.add("description", "\n".join(lines))
    return event


class CalendarFeeds:
    def __init__(self, database: Database, public_url: str, bot_username: str | None) -> None:
        self.database, self.public_url, self.bot_username = database, public_url, bot_username
        self.host = urlsplit(public_url).hostname or "salesbot"

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(PATH + "{name}", self.show)

    async def show(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        token = name[:-len(SUFFIX)] if name.endswith(SUFFIX) else ""
        async with self.database.unit_of_work(settles=False) as session:
            user = await feed_owner(session, token)
            entries = await calendar_entries(session, user) if user is not None else []
        if user is None:
            return web.Response(text="Not found", status=404, content_type="text/plain")
        return web.Response(
            body=feed_text(user, entries, host=self.host, bot_username=self.bot_username,
                           public_url=self.public_url),
            content_type="text/calendar", charset="utf-8")

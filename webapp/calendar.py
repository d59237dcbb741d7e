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

from collections import OrderedDict
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Calendar, Timezone, vDDDTypes

from bot.messages.i18n import N_, translator
from bot.understanding.amounts import Money, format_money
from storage.calendars import PATH, SUFFIX, CalendarEntry, calendar_entries, feed_owner
from storage.clock import utcnow
from storage.database import Database
from storage.models import ReminderKind, User, format_code

REFRESH = timedelta(hours=1)
FOLLOW_UP_LENGTH = timedelta(minutes=30)
FOLLOW_UP = N_("Follow up with {name}")
COLLECT = N_("Collect {amount} from {name} (installment {number})")
REQUEST = N_("Service request of {name}")
OPEN_CARD = N_("Open the card in the chat: {link}")
FEED_NAME = N_("salesbot follow-ups")
WORDS = {"follow_up": FOLLOW_UP, "collect": COLLECT, "request": REQUEST, "open_card": OPEN_CARD}


def card_link(customer_id: int, bot_username: str | None, public_url: str) -> str:
    """Where an event leads back to: the customer's card in the chat (Telegram's start
    link) or, before the bot's name is known, the Mini App at that customer."""
    if bot_username:
        return f"https://t.me/{bot_username}?start=c{customer_id}"
    joined = "&" if "?" in public_url else "?"
    return f"{public_url}{joined}customer={customer_id}"


def feed_text(user: User, entries: list[CalendarEntry], *, host: str, bot_username: str | None,
              public_url: str, written: dict[CalendarEntry, str] | None = None
              ) -> tuple[bytes, dict[CalendarEntry, str]]:
    """The feed, and each event's text by its entry. Its head and the member's VTIMEZONE
    come from `icalendar`; each event is written here (`icalendar` took 0.3 ms an event,
    600 ms for 2,000; these lines a fiftieth of that), or taken from `written` when its
    entry has not changed. Tests parse it all back with `icalendar`."""
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
    head: str = calendar.to_ical().decode().removesuffix("END:VCALENDAR\r\n")
    if any(entry.collect_on is None for entry in entries):  # timed events name it
        head += _vtimezone(user.timezone)
    stamp = f"DTSTAMP:{utcnow():%Y%m%dT%H%M%SZ}"
    said = {key: t(text) for key, text in WORDS.items()}  # once, not once an event
    before = written or {}
    events = {entry: before.get(entry) or _event(
        said, entry, zone, stamp, host=host, bot_username=bot_username,
        public_url=public_url) for entry in entries}
    return (head + "".join(events.values()) + "END:VCALENDAR\r\n").encode(), events


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> str:
    """The zone's VTIMEZONE (its rules from 1970 on: 40 ms to make, so made once)."""
    text: bytes = Timezone.from_tzid(tzid).to_ical()
    return text.decode()


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 §3.3.11 says."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _line(name: str, value: str) -> str:
    """One content line, folded at 75 octets without splitting a character (§3.1)."""
    data = f"{name}:{value}".encode()
    parts: list[bytes] = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a UTF-8 character
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74  # a continuation line starts with a space
    return b"\r\n ".join(parts).decode() + "\r\n"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """20261127T150000 where the member is (strftime took a third of an event's time)."""
    at = moment.astimezone(zone)
    return (f"{at.year:04d}{at.month:02d}{at.day:02d}T{at.hour:02d}{at.minute:02d}"
            f"{at.second:02d}")


def _event(said: dict[str, str], entry: CalendarEntry, zone: ZoneInfo, stamp: str, *,
           host: str, bot_username: str | None, public_url: str) -> str:
    name = entry.customer_name or "—"
    lines = ["BEGIN:VEVENT\r\n", _line("UID", f"reminder-{entry.reminder_id}@{host}"),
             stamp + "\r\n"]
    if entry.collect_on is not None:
        summary = "💴 " + said["collect"].format(
            amount=format_money(Money.from_minor(entry.left_minor, entry.currency)),
            name=name, number=entry.text)
        day = entry.collect_on
        lines += [_line("SUMMARY", _text(summary)),
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\n",  # an all-day event
                  f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}\r\n",
                  "TRANSP:TRANSPARENT\r\n"]
    else:
        icon = "🛠 " if entry.kind == ReminderKind.REQUEST else "📞 "
        title = said["request" if entry.kind == ReminderKind.REQUEST else "follow_up"].format(
            name=name)
        summary = icon + (f"{title}: {entry.text}" if entry.text else title)
        lines += [_line("SUMMARY", _text(summary)),
                  f"DTSTART;TZID={zone.key}:{_local(entry.due_at, zone)}\r\n",
                  f"DTEND;TZID={zone.key}:{_local(entry.due_at + FOLLOW_UP_LENGTH, zone)}\r\n"]
    described = [entry.text] if entry.text and entry.collect_on is None else []
    if entry.customer_id is not None:
        link = card_link(entry.customer_id, bot_username, public_url)
        lines.append(_line("URL", link))
        described += [f"{name} {format_code(entry.customer_id)}",
                      said["open_card"].format(link=link)]
    if described:
        lines.append(_line("DESCRIPTION", _text("\n".join(described))))
    lines.append("END:VEVENT\r\n")
    return "".join(lines)


class CalendarFeeds:
    """Serves the feeds. The rows are read on every request; an event is written only when
    its row changed since the member's feed was last served (a calendar app polls the same
    feed all day: writing 2,000 events took 40 ms, joining them again 1 ms), and an app
    that sends its ETag back gets 304. What is kept is bounded in bytes, the least
    recently served member's events dropped first."""

    KEPT_BYTES = 16 * 2**20

    def __init__(self, database: Database, public_url: str, bot_username: str | None) -> None:
        self.database, self.public_url, self.bot_username = database, public_url, bot_username
        self.host = urlsplit(public_url).hostname or "salesbot"
        # member: (name, zone, language) the events were written for, the events, bytes
        self.written: OrderedDict[int, tuple[tuple[str, str, str], dict[CalendarEntry, str],
                                             int]] = OrderedDict()

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
        etag = f'"{_fingerprint(user, entries)}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        profile = (user.display_name, user.timezone, user.language)
        kept = self.written.pop(user.id, None)
        body, events = feed_text(user, entries, host=self.host,
                                 bot_username=self.bot_username, public_url=self.public_url,
                                 written=kept[1] if kept and kept[0] == profile else None)
        self.written[user.id] = (profile, events, len(body))
        while sum(size for _, _, size in self.written.values()) > self.KEPT_BYTES \
                and len(self.written) > 1:
            self.written.popitem(last=False)
        return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                            headers={"ETag": etag})


def _fingerprint(user: User, entries: list[CalendarEntry]) -> str:
    """What the feed's text depends on: the rows, and the member's name, zone and
    language. Python's own hash of the rows (1.5 ms for 2,000; a SHA-256 of their text
    took 50 ms): it is kept in this process only, so it need not be stable across runs."""
    seen = hash((user.display_name, user.timezone, user.language, tuple(entries)))
    return f"{seen & 0xFFFF_FFFF_FFFF_FFFF:016x}"

"""A campaign's unsubscribe link, /u/<token>: a plain page for a GET (a form with one
button, so a mail scanner that opens links unsubscribes nobody) and the opt-out for a
POST, the one-click POST a mail client sends by RFC 8058 included. The opt-out is
recorded at once and holds for every later campaign (storage/campaigns.py). Used again,
the link says the same; a token never made is the survey's 404, naming nobody.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.messages.i18n import N_, translator
from storage.campaigns import UNSUBSCRIBE_PATH, recipient_of, unsubscribe
from storage.database import Database
from webapp.survey import GONE, customer_page

TITLE = N_("Unsubscribe")
ASK = N_("Stop our campaign emails to {address}?")
CONFIRM = N_("Unsubscribe")
DONE = N_("Done: {address} will get no more of our campaign emails.")


def masked(address: str) -> str:
    """a***@example.com: enough to recognise, not enough to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


class UnsubscribePages:
    def __init__(self, database: Database, language: str) -> None:
        self.database, self.language = database, language

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(UNSUBSCRIBE_PATH + "{token}", self.show)
        app.router.add_post(UNSUBSCRIBE_PATH + "{token}", self.confirm)

    def _gone(self) -> web.Response:
        t = translator(self.language)
        return customer_page(t, self.language, f"<p>{escape(t(GONE))}</p>", 404, title=TITLE)

    async def show(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        async with self.database.unit_of_work(settles=False) as session:
            recipient = await recipient_of(session, token)
        if recipient is None or recipient.email is None:
            return self._gone()
        t = translator(self.language)
        return customer_page(t, self.language, (
            f'<p>{escape(t(ASK).format(address=masked(recipient.email)))}</p>'
            f'<form method="post" action="{UNSUBSCRIBE_PATH}{escape(token)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{escape(t(CONFIRM))}</button></form>'), title=TITLE)

    async def confirm(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        async with self.database.unit_of_work() as session:
            recipient = await recipient_of(session, token)
            if recipient is None or recipient.email is None or not await unsubscribe(
                    session, token):
                return self._gone()
            address = recipient.email
        t = translator(self.language)
        return customer_page(t, self.language, f'<p class="thanks">'
                             f'{escape(t(DONE).format(address=masked(address)))}</p>',
                             title=TITLE)

"""Issue "steer and reach out" end to end: `salesbot run` in a child process over real HTTP
against the fake Bot API and a real SMTP server on loopback (aiosmtpd).

A manager's two targets for a rep, seen with the pace in /team; a campaign to a segment of
1,000 customers sends 900 messages with the one-click unsubscribe pair and holds out 100;
one recipient unsubscribes with the one-click POST and is left out of the next campaign;
/campaigns shows the lift and its interval once purchases are logged; a member's calendar
address serves their follow-ups and answers 404 once revoked.

The 1,000 customers are written into the database before the bot starts (the chat would
take minutes to add them); the purchases that follow the campaign are moved into its
window in the database, as the other end-to-end tests move time."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import func, insert, select

from bot.process.transports.fakeapi import FakeBotApi
from storage.database import Database
from storage.migrate import upgrade
from storage.models import (
    Campaign,
    CampaignRecipient,
    ContactPoint,
    Customer,
    Purchase,
    Tag,
    customer_tags,
)
from tests.e2e.process import ADMIN, BotProcess, write_config
from tests.e2e.server import BotApiServer
from tests.e2e.test_data_care_over_http import Person
from tests.harness import free_port

SEGMENT = 1_000
UNSUBSCRIBE = re.compile(r"<https://crm\.example\.com(/u/[A-Za-z0-9_\-]+)>")
CALENDAR = re.compile(r"https://crm\.example\.com(/cal/[A-Za-z0-9_\-]+\.ics)")


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


async def seeded(database_url: str) -> None:
    """1,000 customers of the 展会 segment, each with an email address."""
    await upgrade(database_url)
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            # No ids given: PostgreSQL's sequences must move past them for the bot's rows.
            await session.execute(insert(Customer), [
                {"name": f"展会客户{n}", "search_text": f"展会客户{n}"}
                for n in range(1, SEGMENT + 1)])
            ids = list(await session.scalars(select(Customer.id).order_by(Customer.id)))
            tag = Tag(name="展会")
            session.add(tag)
            await session.flush()
            await session.execute(insert(ContactPoint), [
                {"customer_id": customer_id, "kind": "email",
                 "value": f"guest{customer_id}@example.com"} for customer_id in ids])
            await session.execute(insert(customer_tags), [
                {"customer_id": customer_id, "tag_id": tag.id} for customer_id in ids])
    finally:
        await database.dispose()


async def scalar(database_url: str, query: Any) -> Any:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return await session.scalar(query)
    finally:
        await database.dispose()


async def bought_after(database_url: str, campaign_id: int, sent: int, held: int) -> None:
    """Purchases in the campaign's window: `sent` of those sent to, `held` held out."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None and campaign.started_at is not None
            campaign.started_at -= timedelta(days=31)  # its 30-day window is over
            when = campaign.started_at + timedelta(days=1)
            for group, count in (("send", sent), ("holdout", held)):
                chosen = list(await session.scalars(
                    select(CampaignRecipient.customer_id).where(
                        CampaignRecipient.campaign_id == campaign_id,
                        CampaignRecipient.group == group).order_by(
                        CampaignRecipient.id).limit(count)))
                session.add_all(Purchase(customer_id=c, user_id=1, amount_minor=100_000,
                                         currency="CNY", occurred_at=when, paid_minor=0)
                                for c in chosen)
    finally:
        await database.dispose()


async def test_targets_a_campaign_its_effect_and_the_calendar_over_http(
    server: tuple[FakeBotApi, BotApiServer], database_url: str, tmp_path: Path
) -> None:
    api, http = server
    box, smtp_port, web_port = Mailbox(), free_port(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    await seeded(database_url)
    bot = BotProcess(write_config(
        tmp_path, http.url, database_url,
        '[reminders]\nsweep_seconds = 0.5\ndigest_hour = -1\n[backup]\nhour = -1\n'
        f'[webapp]\nport = {web_port}\nurl = "https://crm.example.com/app/"\n'
        f'[email]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        'allow_plaintext = true\nfrom_address = "sales@crm.example.com"\n'
        'per_minute = 1200\n'))
    await bot.start(api)
    base = f"http://127.0.0.1:{web_port}"
    try:
        alice = Person(api, ADMIN, "Alice")
        bob = Person(api, 202, "Bob")
        invite = await alice.says("/invite rep", "One-time invite")
        await bob.says(f"/start {invite.text.split('?start=')[1].split()[0]}", "Welcome")

        # Two targets for Bob, seen with the pace in /team.
        saved = await alice.says("/target Bob 本月 回款 50万 新客户 10", "Targets saved.")
        assert "Collected" in saved.text and "New customers" in saved.text
        team = await alice.says("/team", "Targets of the team")
        assert "of the period gone" in team.text and "pace" in team.text

        # A campaign to the segment: 900 sent with the one-click pair, 100 held out.
        asked = await alice.says("/campaign tag:展会", "customers would get it")
        assert f"{SEGMENT - 100} customers would get it; 100 held out" in asked.text
        await alice.says("展会邀请 {{ name }}", "The message?")
        preview = await alice.says("{{ name }}您好，欢迎来展会。", "As it will arrive")
        await alice.presses(preview, preview.button_data("🚀 Send"), "Sending to 900")
        await alice.sees("is sent: 900 sent", timeout=150)
        assert len(box.messages) == 900 and len({str(m["To"]) for m in box.messages}) == 900
        first = box.messages[0]
        assert str(first["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        link = UNSUBSCRIBE.fullmatch(str(first["List-Unsubscribe"]))
        assert link is not None and str(first["Subject"]).startswith("展会邀请 展会客户")
        held = await scalar(database_url, select(func.count()).select_from(
            CampaignRecipient).where(CampaignRecipient.group == "holdout"))
        mailed = {str(m["To"]) for m in box.messages}
        holdout_addresses = {f"guest{c}@example.com" for c in await _holdout(database_url)}
        assert held == 100 and not holdout_addresses & mailed

        # One click from the mail client, and the next campaign leaves that address out.
        async with aiohttp.ClientSession() as web, web.post(base + link.group(1),
                            data={"List-Unsubscribe": "One-Click"}) as answer:
            assert answer.status == 200
        again = await alice.says("/campaign tag:展会", "customers would get it")
        assert "left out, opted out: 1" in again.text
        await alice.says("/cancel", "")

        # After purchases in its window, /campaigns shows the lift and its interval.
        await bought_after(database_url, 1, sent=270, held=10)
        report = await alice.says("/campaigns", "Lift in the share who bought")
        assert "+200%" in report.text and "95% interval" in report.text

        # Bob's calendar address serves his follow-ups and stops when revoked.
        customer = await bob.says("/add 李雷 13900001111 ACME", "is this right")
        await bob.presses(customer, "add:save", "C-001001")
        follow = await bob.says("/remind 李雷 明天下午3点 发报价", "发报价")
        await bob.presses(follow, follow.button_data("Save"), "Follow-up set")
        made = await bob.says("/calendar", "Your calendar address")
        found = CALENDAR.search(made.text)
        assert found is not None
        async with aiohttp.ClientSession() as web:
            async with web.get(base + found.group(1)) as feed:
                assert feed.status == 200
                events = Calendar.from_ical(await feed.read()).walk("VEVENT")
                assert any("李雷" in str(e["SUMMARY"]) for e in events)
            revoked = await bob.presses(made, "cal:revoke", "Revoked")
            assert "no longer works" in revoked.text
            async with web.get(base + found.group(1)) as gone:
                assert gone.status == 404
    finally:
        await bot.stop()
        controller.stop()


async def _holdout(database_url: str) -> list[int]:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return list(await session.scalars(select(CampaignRecipient.customer_id).where(
                CampaignRecipient.group == "holdout")))
    finally:
        await database.dispose()


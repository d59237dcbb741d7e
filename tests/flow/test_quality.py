"""/quality: completeness per owner, then a walk through the records lacking a field."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Customer
from tests.flow.conftest import ADMIN, Bot


async def test_quality_report_and_fixing_gaps_one_by_one(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    for line in ("王小明 13812345678 ACME 上海", "李雷 13900001111", "韩梅梅 hmm@example.com",
                 "张伟 13700002222 Star 北京 zw@example.com"):
        await chat.press(await chat.say(f"/add {line}"), "Save")
    report = await chat.say("/quality")
    assert "Alice: 4 records, 56% complete" in report.text
    assert "no phone: 1 · no email: 2 · no company: 2 · no region: 2" in report.text
    ask = await chat.press(report, "Fix company (2)")
    assert "李雷 C-000002 has no company (2 left)" in ask.text
    nxt = await chat.say("Acme Trading")
    assert "韩梅梅 C-000003 has no company (1 left)" in nxt.text
    bad = await chat.say("/skip")
    assert "No more records without a company" in bad.text
    async with bot.database.unit_of_work() as session:
        companies = {c.name: c.company for c in await session.scalars(select(Customer))}
    assert companies["李雷"] == "Acme Trading" and companies["韩梅梅"] is None

    ask = await chat.press(await chat.say("/quality"), "Fix email (2)")
    assert "王小明" in ask.text
    refused = await chat.say("not-an-email")
    assert "email" in refused.text.lower() and "王小明" not in refused.text.split("\n")[0][:3]
    cancelled = await chat.say("/cancel")
    assert "Cancelled" in cancelled.text
    async with bot.database.unit_of_work() as session:
        wang = await session.scalar(select(Customer).where(Customer.name == "王小明"))
    assert wang is not None and wang.contact_values("email") == []

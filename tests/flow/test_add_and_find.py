"""The foundation's chat flows, driven through the whole Application."""

from __future__ import annotations

from sqlalchemy import select

from storage import customers
from storage.models import AuditEntry, Customer
from tests.flow.conftest import ADMIN, Bot


async def count_customers(bot: Bot) -> int:
    async with bot.database.unit_of_work() as session:
        return await customers.count_customers(session)


async def test_one_line_add_confirm_then_find_by_initials_and_phone_digits(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    card = await chat.say("/add 王小明 138 1234 5678 ACME 上海")
    assert "New customer — is this right?" in card.text
    assert "Name: 王小明" in card.text and "Phone: 138 1234 5678" in card.text
    assert "Company: ACME" in card.text and "Region: 上海" in card.text
    assert await count_customers(bot) == 0  # nothing saved before the tap

    saved = await chat.press(card, "Save")
    assert "Saved as C-000001." in saved.text
    assert "📞 138 1234 5678" in saved.text

    for query in ("wxm", "5678", "/find wangxm", "ACME"):
        found = await chat.say(query)
        assert found.text.startswith("王小明  C-000001"), query


async def test_guided_add_with_skips_buttons_and_validation(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    assert "What is the name?" in (await chat.say("/add")).text
    assert "Phone number" in (await chat.say("  Li Lei  ")).text
    error = await chat.say("12345")
    assert "is not a valid phone number" in error.text
    assert "Company?" in (await chat.say("+1 650 253 0000; li@example.com")).text
    region_prompt = await chat.say("Hanmeimei Trading")
    tier_prompt = await chat.press(region_prompt, "Skip")
    stage_prompt = await chat.press(tier_prompt, "important")
    confirm = await chat.press(stage_prompt, "prospect")
    assert "Tier: important" in confirm.text and "Stage: prospect" in confirm.text
    assert "Email: li@example.com" in confirm.text
    saved = await chat.press(confirm, "Save")
    assert "Saved as C-000001" in saved.text
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, 1)
        assert customer is not None
        assert (customer.name, customer.company, customer.region) == (
            "Li Lei", "Hanmeimei Trading", None)
        assert customer.contact_values("phone") == ["+16502530000"]
        assert (customer.tier, customer.stage) == ("important", "prospect")


async def test_cancel_mid_flow_saves_nothing_and_save_pressed_twice_saves_once(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    await chat.say("/add")
    await chat.say("Zhang San")
    assert "Cancelled. Nothing was saved." in (await chat.say("/cancel")).text
    assert await count_customers(bot) == 0

    card = await chat.say("/add Zhang San 13900001111")
    await chat.press(card, "Save")
    replies = await chat.press_data(card, "add:save")
    assert replies == []
    assert "This button has expired." in chat.alerts()
    assert await count_customers(bot) == 1


async def test_duplicate_warning_offers_open_merge_and_add_anyway(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    await chat.press(await chat.say("/add 王小明 13812345678"), "Save")
    card = await chat.say("/add 王晓明 138-1234-5678 ACME")
    warning = await chat.press(card, "Save")
    assert "This may already be in the CRM" in warning.text
    assert "C-000001" in warning.text and "same phone" in warning.text
    merged = await chat.press(warning, "Merge into C-000001")
    assert "Added to C-000001" in merged.text and "ACME" in merged.text
    assert await count_customers(bot) == 1

    card = await chat.say("/add 王晓明 13999998888")
    warning = await chat.press(card, "Save")
    assert "similar name" in warning.text
    added = await chat.press(warning, "Add anyway")
    assert "Saved as C-000002" in added.text


async def test_card_buttons_change_tier_stage_field_tag_and_archive(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    card = await chat.press(await chat.say("/add Wang Wu 13812345678"), "Save")
    tiers = await chat.press(card, "Tier")
    card = await chat.press(tiers, "core")
    assert "Tier: core" in card.text
    fields = await chat.press(card, "Edit")
    prompt = await chat.press(fields, "company")
    assert "Send the new company for Wang Wu" in prompt.text
    too_long = await chat.say("x" * 150)
    assert "too long: 150 characters, at most 100" in too_long.text
    updated = await chat.say("<Evil & Co>")
    assert "&lt;Evil &amp; Co&gt;" in updated.html
    assert "<Evil & Co>" in updated.text
    tag_prompt = await chat.press(updated, "Tag")
    assert "Send tags" in tag_prompt.text
    tagged = await chat.say("#vip 重点")
    assert "#vip #重点" in tagged.text
    archived = await chat.press(tagged, "Archive")
    assert "Archived" in archived.text
    assert "Nothing found" in (await chat.say("Wang Wu")).text
    async with bot.database.unit_of_work() as session:
        actions = list(await session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "customer")
            .order_by(AuditEntry.id)))
    assert actions == ["create", "update", "update", "tag", "archive"]


async def test_several_results_show_buttons_that_open_the_card(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    for line in ("/add 王小明 13812345678 ACME", "/add 王明 13900001111 ACME"):
        await chat.press(await chat.say(line), "Save")
    found = await chat.say("acme")
    assert found.text == "Found 2:"
    opened = await chat.press(found, "王明")
    assert opened.text.startswith("王明  C-000002")


async def test_shared_contact_and_vcard_file_become_drafts(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    draft = await chat.share_contact("+8613812345678", "小明", "王")
    assert "Name: 王小明" in draft.text and "Phone: 138 1234 5678" in draft.text
    await chat.press(draft, "Cancel")
    vcf = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:John Smith\r\nORG:Acme Corp\r\n"
           b"TEL;TYPE=CELL:+1 650 253 0000\r\nEMAIL:john@acme.example\r\nEND:VCARD\r\n")
    draft = await chat.send_file("john.vcf", vcf, "text/vcard")
    assert "Name: John Smith" in draft.text and "Company: Acme Corp" in draft.text
    assert "john@acme.example" in draft.text
    broken = await chat.send_file("broken.vcf", b"\xff\xfe\x00garbage", "text/vcard")
    assert "could not read this .vcf" in broken.text


async def test_unknown_user_is_refused_everywhere_with_their_id(bot: Bot) -> None:
    stranger = bot.chat(555, "Stranger")
    for text in ("/start", "/add 王小明", "wxm", "/find x"):
        reply = await stranger.say(text)
        assert "private team bot" in reply.text and "555" in reply.text
    admin = bot.chat(ADMIN)
    card = await admin.press(await admin.say("/add Secret 13812345678"), "Save")
    await stranger.press_data(card, "c:1:archive")
    assert any("555" in alert for alert in stranger.alerts())
    assert await count_customers(bot) == 1


async def test_invite_link_works_once(bot: Bot) -> None:
    admin = bot.chat(ADMIN)
    invite = await admin.say("/invite rep")
    token = invite.text.split("?start=")[1].split()[0]
    newcomer = bot.chat(777, "Newbie")
    welcome = await newcomer.say(f"/start {token}")
    assert "Welcome, Newbie" in welcome.text
    again = bot.chat(778, "Other")
    assert "not valid any more" in (await again.say(f"/start {token}")).text


async def test_own_policy_rep_cannot_open_colleagues_customer_even_by_forged_button(
    make_bot: object,
) -> None:
    bot: Bot = await make_bot(visibility="own")  # type: ignore[operator]
    admin = bot.chat(ADMIN)
    token = (await admin.say("/invite rep")).text.split("?start=")[1].split()[0]
    rep = bot.chat(201, "Rep")
    await rep.say(f"/start {token}")
    await admin.press(await admin.say("/add Boss Client 13812345678"), "Save")
    nothing = await rep.say("Boss Client")
    assert "Nothing found" in nothing.text
    replies = await rep.press_data(nothing, "c:1:archive")
    assert "No customer C-000001 that you can see." in replies[-1].text
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, 1)
        assert customer is not None and not customer.archived


async def test_forged_and_malformed_callback_data_never_crash(bot: Bot) -> None:
    chat = bot.chat(ADMIN)
    card = await chat.press(await chat.say("/add Wang 13812345678"), "Save")
    for data in ("c:999:open", "c:1:tier:platinum", "c:x:open", "zzz", "c:1:f:owner_id",
                 "lang:xx", "add:merge:1", "c:99999999999:open"):
        await chat.press_data(card, data)
    async with bot.database.unit_of_work() as session:
        customer = await session.get(Customer, 1)
        assert customer is not None and customer.tier == "normal"
    assert "Something went wrong" not in "\n".join(m.text for m in bot.api.chat(ADMIN))


async def test_conversation_survives_a_restart(make_bot: object) -> None:
    first: Bot = await make_bot()  # type: ignore[operator]
    chat = first.chat(ADMIN)
    await chat.say("/add")
    await chat.say("Restart Person")
    await first.app.stop()
    await first.app.shutdown()
    second: Bot = await make_bot()  # type: ignore[operator]
    chat = second.chat(ADMIN)
    reply = await chat.say("13812345678")
    assert "Company?" in reply.text


async def test_language_switch_and_chinese_user(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "小王", language="zh-hans")
    assert "欢迎" in (await chat.say("/start")).text
    choice = await chat.say("/lang")
    done = await chat.press(choice, "English")
    assert "I will speak English from now on." in done.text
    assert "What I can do" in (await chat.say("/help")).text


async def test_commands_are_published_in_both_languages(bot: Bot) -> None:
    assert [c["command"] for c in bot.api.commands[""]][:2] == ["add", "find"]
    assert bot.api.commands["zh"][0]["description"] == "添加客户"


async def test_a_member_sending_too_fast_is_asked_to_slow_down(make_bot: object) -> None:
    bot: Bot = await make_bot(requests_per_minute=5)  # type: ignore[operator]
    chat = bot.chat(ADMIN)
    for n in range(5):
        await chat.say(f"nobody{n}")
    slow = await chat.say("nobody5")
    assert "Slow down, please: at most 5 requests a minute" in slow.text
    assert await chat.send("nobody6") == []  # told once, then quietly ignored
    other = bot.chat(777, "Stranger")  # others are not held back by it
    assert "private team bot" in (await other.say("hello")).text

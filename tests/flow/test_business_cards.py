"""A business card's photo becomes a customer with one tap (OCR in its worker process)."""

from __future__ import annotations

import io
import os
import signal

from PIL import Image
from sqlalchemy import select

from bot.media.ocr import reader_pids
from bot.process.transports.inprocess import deliver_pending
from storage.models import Interaction
from tests.cards import SMITH, WANG, known
from tests.flow.conftest import ADMIN, Bot


async def test_a_card_photo_becomes_a_customer_and_stays_on_the_timeline(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    bot.api.user_sends_photo(chat.person, known(WANG, "left column", seed=1))
    await deliver_pending(bot.app, bot.api)
    card = chat.inbox()[-1]
    assert "New customer — is this right?" in card.text
    for line in ("Name: 王小明", "Phone: 138 1234 5678", "Email: wxm@star-logistics.cn",
                 "Company: 上海星辰物流有限公司", "Title: 销售总监"):
        assert line in card.text, line
    saved = await chat.press(card, "Save")
    assert "Saved as C-000001." in saved.text
    assert (await chat.say("wxm")).text.startswith("王小明  C-000001")
    async with bot.database.unit_of_work() as session:
        [kept] = list(await session.scalars(select(Interaction)))
    assert kept.attachment_kind == "photo" and kept.summary == "Business card"

    # The reader's worker killed (as the system does when memory runs out): the next card
    # starts a new one. The same person's card again: the duplicate check speaks.
    for pid in reader_pids():
        os.kill(pid, signal.SIGKILL)
    bot.api.user_sends_photo(chat.person, known(WANG, "company below", seed=2))
    await deliver_pending(bot.app, bot.api)
    again = await chat.press(chat.inbox()[-1], "Save")
    assert "This may already be in the CRM" in again.text


async def test_an_english_card_and_a_picture_that_is_no_card(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    bot.api.user_sends_photo(chat.person, known(SMITH, "right-aligned", seed=3))
    await deliver_pending(bot.app, bot.api)
    card = chat.inbox()[-1]
    assert "Name: John Smith" in card.text and "Phone: +1 650-253-0000" in card.text
    assert "Company: Acme Logistics Ltd" in card.text

    blank = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(blank, "JPEG")
    for picture in (blank.getvalue(), b"\xff\xd8 not a picture"):
        bot.api.user_sends_photo(chat.person, picture)
        await deliver_pending(bot.app, bot.api)
        assert "could not find a name on this card" in chat.inbox()[-1].text

"""Segments: a filter saved by name, used by search, the export and /stats."""

from __future__ import annotations

import io

from python_calamine import CalamineWorkbook

from tests.flow.conftest import ADMIN, Bot


async def test_a_segment_in_search_export_and_stats(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    for line in ("王小明 13812345678 ACME 上海", "李雷 13900001111 星辰 北京",
                 "韩梅梅 13700002222 星辰 上海"):
        await chat.press(await chat.say(f"/add {line}"), "Save")
    await chat.press(await chat.say("王小明 买了 2 台 X1 共 9600 元"), "Save")
    await chat.press(await chat.say("韩梅梅 买了 1 台 X2 共 3000 元"), "Save")

    saved = await chat.say("/segment 上海X1 region:上海 bought:x1 within:90")
    assert "Segment “上海X1” saved: 1 customers match now" in saved.text

    found = await chat.say("seg:上海X1")
    assert "上海X1: 1 customers" in found.text and "王小明" in found.buttons[0][0][0]

    numbers = await chat.press(saved, "Numbers")
    assert "上海X1" in numbers.text and "Customers: 1" in numbers.text
    assert "1, ¥9,600" in numbers.text
    sent = await chat.press_data(numbers, numbers.button_data("Customers by region"))
    assert [m.text for m in sent if m.photo] == ["Customers by region"]

    await chat.press_data(saved, saved.button_data("Export"))
    file = await bot_file(bot, chat)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(file)).get_sheet_by_index(0).to_python()
    assert [row[1] for row in sheet[1:]] == ["王小明"]

    listing = await chat.say("/segments")
    assert "上海X1" in listing.text and "bought:x1" in listing.text
    unknown = await chat.say("/export seg:nothing")
    assert "There is no segment “nothing”" in unknown.text
    refused = await chat.say("/segment bad tier:golden")
    assert "Unknown tier" in refused.text


async def bot_file(bot: Bot, chat: object) -> bytes:
    from tests.harness import poll_until

    message = await poll_until(lambda: next(
        (m for m in reversed(bot.api.log) if m.document), None))
    return bot.api.files[message.document["file_id"]][1]

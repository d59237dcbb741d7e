"""/stats: the numbers in words, a chart as a phone-sized picture, "no data" in words."""

from __future__ import annotations

from bot.media.charts import DPI, HEIGHT, WIDTH
from bot.media.stats_charts import chart_of
from storage.models import User
from storage.users import Visibility, actor_for
from tests.flow.conftest import ADMIN, Bot


async def test_stats_region_chart_and_an_empty_funnel_in_words(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice", "zh-hans")
    for line in ("王小明 13812345678 ACME 上海", "李雷 13900001111 星辰 北京",
                 "韩梅梅 13700002222 星辰 上海"):
        await chat.press(await chat.say(f"/add {line}"), "保存")
    await chat.press(await chat.say("王小明 买了 2 台 X1 共 9600 元"), "保存")

    menu = await chat.say("/stats")
    assert "客户：3" in menu.text and "1 笔，¥9,600" in menu.text
    sent = await chat.press_data(menu, menu.button_data("客户地区分布"))
    [picture] = [m for m in sent if m.photo]
    assert picture.text == "客户地区分布"
    assert (picture.photo["width"], picture.photo["height"]) == (WIDTH * DPI, HEIGHT * DPI)

    sent = await chat.press_data(menu, menu.button_data("销售漏斗"))
    assert not any(m.photo for m in sent)
    assert any("“销售漏斗”还没有数据" in m.text for m in sent)

    sent = await chat.press_data(menu, menu.button_data("每月购买额"))
    assert [m.text for m in sent if m.photo] == ["每月购买额"]


async def test_money_due_and_collected_per_month_with_the_rate(bot: Bot) -> None:
    chat = bot.chat(ADMIN, "Alice")
    await chat.press(await chat.say("/add John Smith +1 650 253 0000 Acme"), "Save")
    await chat.press(await chat.say("John Smith bought 20 X1 for ¥4,800"), "Save")
    await chat.press(await chat.say("John Smith paid ¥1,200"), "Save")
    menu = await chat.say("/stats")
    sent = await chat.press_data(menu, menu.button_data("Money due and collected per month"))
    assert [m.text for m in sent if m.photo] == ["Money due and collected per month"]
    async with bot.database.unit_of_work() as session:
        user = await session.get(User, 1)
        assert user is not None
        chart = await chart_of(session, actor_for(user, Visibility.TEAM), lambda s: s,
                               "collections", period="90", currency="CNY")
    assert chart.series[0][1][-1] == 4800.0 and chart.series[1][1][-1] == 1200.0
    assert chart.note == "Collected 25% of what fell due"

"""Charts: a PNG of the expected size for every kind, and no label the font cannot draw."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.media.charts import DPI, HEIGHT, WIDTH, ChartData, missing_glyphs, render
from bot.media.stats_charts import (
    activity_chart,
    funnel_chart,
    purchases_chart,
    region_chart,
    tiers_chart,
)
from bot.messages.i18n import translator
from bot.messages.stats import CHARTS
from storage.sales.deals import StageSum
from storage.sales.stats import Activity

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def charts_in(language: str) -> list[ChartData]:
    t = translator(language)
    return [
        region_chart(t, [("上海", 40), ("北京", 25), ("广州", 12), ("乌鲁木齐", 3), (None, 7)]),
        tiers_chart(t, {"core": 5, "important": 20, "normal": 75}),
        purchases_chart(t, {"2026-10": 4_800_000, "2026-11": 1_200_000, "2025-11": 900_000},
                        now=NOW, months=12, currency="CNY"),
        funnel_chart(t, [StageSum("lead", 9, {"CNY": 90_000_00}),
                         StageSum("qualified", 5, {"CNY": 50_000_00}),
                         StageSum("proposal", 3, {"CNY": 30_000_00}),
                         StageSum("negotiation", 1, {"CNY": 10_000_00}),
                         StageSum("won", 2, {}), StageSum("lost", 1, {})], "CNY"),
        activity_chart(t, Activity(["11-02", "11-09", "11-16"],
                                   {"张伟": [3, 5, 2], "Alice": [1, 0, 4]})),
    ]


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_chart_is_a_phone_sized_png_with_every_glyph_in_the_font(language: str) -> None:
    for chart in charts_in(language):
        assert not chart.empty
        assert missing_glyphs(chart.all_text()) == set(), chart.title
        assert png_size(render(chart)) == (int(WIDTH * DPI), int(HEIGHT * DPI)), chart.title


def test_every_chart_title_has_its_glyphs_in_both_languages() -> None:
    for language in ("zh_CN", "en"):
        t = translator(language)
        assert missing_glyphs("".join(t(title) for title in CHARTS.values())) == set()


def test_the_glyph_check_can_fail() -> None:
    assert missing_glyphs("客户 \U0001f600") == {"\U0001f600"}  # an emoji is not in the font


def test_a_chart_without_data_is_empty() -> None:
    t = translator("en")
    assert region_chart(t, []).empty
    assert purchases_chart(t, {}, now=NOW, months=3, currency="CNY").empty
    assert activity_chart(t, Activity(["11-16"], {})).empty

"""Charts as PNG pictures, readable on a phone, Chinese drawn with a font a package ships.

Rendering runs in a process of its own (one worker, started on first use), never on the
event loop and never queued behind an import's parts in bot/runtime/workers.py. matplotlib
(Agg) and the font load in that process only: the bot's own memory does not grow. /stats
starts the process while the member picks a chart (`warm`), so even the first chart
comes back in about 0.1 s instead of the 0.9 s a cold matplotlib import costs.

The font is Noto Sans CJK SC from the `mplfonts` package: nothing is fetched at run time
and no system font is assumed. `missing_glyphs` tells which characters of a label the
font cannot draw (they would come out as boxes); the tests check every label with it.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bot.runtime import workers

FONT_FILE = "NotoSansCJKsc-Regular.otf"
WIDTH, HEIGHT, DPI = 8.0, 5.0, 120  # 960 x 600 px: sharp on a phone, small to send
COLOURS = ["#2f6fdf", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac"]

Kind = Literal["bar", "barh", "line", "pie", "funnel"]


@dataclass(frozen=True)
class ChartData:
    """What to draw, already in the reader's language: plain values, picklable."""

    kind: Kind
    title: str
    labels: list[str]
    series: list[tuple[str, list[float]]]  # (legend name, one value per label)
    value_format: str = "{:,.0f}"
    note: str = ""
    texts: list[str] = field(default_factory=list)  # every other string drawn

    def all_text(self) -> str:
        return "".join([self.title, self.note, *self.labels, *(n for n, _ in self.series),
                        *self.texts])

    @property
    def empty(self) -> bool:
        return not self.labels or not any(any(v for v in values) for _, values in self.series)


def font_path() -> Path:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE


@lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> set[str]:
    """Characters of `text` the chart font has no glyph for (spaces and newlines aside)."""
    cmap = _cmap()
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


# ---- in the chart process ---------------------------------------------------------------

@lru_cache(maxsize=1)
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    path = str(font_path())
    font_manager.fontManager.addfont(path)
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=path).get_name()
    plt.rcParams["axes.unicode_minus"] = False  # the font's minus sign, not U+2212
    return plt


def ready() -> bool:
    """Runs in the chart process: matplotlib and the font loaded."""
    return _pyplot() is not None


def render(chart: ChartData) -> bytes:
    """Runs in the chart process: the chart as PNG bytes."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT), dpi=DPI)
    try:
        _draw(ax, chart)
        ax.set_title(chart.title, fontsize=16, pad=14)
        if chart.note:
            fig.text(0.99, 0.01, chart.note, ha="right", va="bottom", fontsize=9,
                     color="#666666")
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def _draw(ax: Any, chart: ChartData) -> None:
    labels = chart.labels
    if chart.kind == "pie":
        values = chart.series[0][1]
        ax.pie(values, labels=[f"{label}\n{chart.value_format.format(v)}"
                               for label, v in zip(labels, values, strict=True)],
               colors=COLOURS[:len(values)], startangle=90, counterclock=False,
               textprops={"fontsize": 12})
        ax.axis("equal")
        return
    if chart.kind in ("barh", "funnel"):
        values = chart.series[0][1]
        positions = list(range(len(labels)))[::-1]
        if chart.kind == "funnel":  # centred bars, widest on top
            widest = max(values) or 1
            ax.barh(positions, values, left=[(widest - v) / 2 for v in values],
                    color=COLOURS[0])
            for y, v in zip(positions, values, strict=True):
                ax.text(widest / 2, y, chart.value_format.format(v), ha="center",
                        va="center", color="white", fontsize=13)
            ax.set_xticks([])
            ax.spines[["bottom", "left"]].set_visible(False)
        else:
            bars = ax.barh(positions, values, color=COLOURS[0])
            ax.bar_label(bars, labels=[chart.value_format.format(v) for v in values],
                         padding=3, fontsize=11)
        ax.set_yticks(positions, labels, fontsize=12)
        ax.spines[["top", "right"]].set_visible(False)
        return
    count = len(chart.series)
    for index, (name, values) in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        if chart.kind == "line":
            ax.plot(labels, values, marker="o", color=colour, label=name,
                    linewidth=2.5 if index == 0 else 1.5, alpha=1 if index == 0 else 0.6)
        else:
            width = 0.8 / count
            offsets = [i + (index - (count - 1) / 2) * width for i in range(len(labels))]
            ax.bar(offsets, values, width=width, color=colour, label=name)
    if chart.kind == "bar":
        ax.set_xticks(range(len(labels)), labels)
    ax.tick_params(axis="x", labelsize=10, rotation=30 if len(labels) > 6 else 0)
    ax.yaxis.set_major_formatter(lambda v, _: chart.value_format.format(v))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    if count > 1 or chart.series[0][0]:
        ax.legend(fontsize=11, frameon=False)


# ---- in the bot -------------------------------------------------------------------------

_renderer = workers.Pool(1, "charts")


def warm() -> None:
    """Starts the chart process and loads matplotlib there, in the background."""
    _renderer.warm(ready)


async def picture(chart: ChartData) -> bytes:
    return await _renderer.run(render, chart)

"""Charts for the supervisors' digests, drawn with matplotlib's Agg canvas into PNG bytes.

No pyplot: each chart is its own Figure on its own canvas, so nothing leaks between charts or
threads, and no rcParams are touched. Chinese is drawn with the project's own font
(fonts/NotoSansCJKsc-Regular-subset.otf, OFL); a label with a character that font lacks uses
a system CJK font that has it, else the bar's code, so no label ever shows as empty boxes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FONT = Path(__file__).resolve().parent.parent / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
SYSTEM_CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
MAX_BARS = 30
LABEL_PT = 10
MAX_LABEL_EM = 16
WIDTH_INCHES, DPI = 8.0, 110
GOOD, FAIR = 85, 60  # completion (%) at or above which a bar is green, orange; below: red
COLOURS = {"good": "#2a9d8f", "fair": "#f4a261", "poor": "#e63946", "none": "#adb5bd"}


@dataclass(frozen=True)
class ChartBar:
    """One bar: a label (may be Chinese), a plain fallback (its code), and done out of total."""

    label: str
    fallback: str
    done: int
    total: int

    @property
    def rate(self) -> float:
        return 100 * self.done / self.total if self.total else 0.0


@cache
def _charmap(path: Path) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(str(path)).get_charmap())


def fonts() -> tuple[Path, ...]:
    """The fonts charts may use, the project's own first."""
    return (FONT, *(p for p in SYSTEM_CJK_FONTS if p.exists()))


def font_for(text: str) -> Path | None:
    """The first usable font that has a glyph for every character of `text` (spaces aside)."""
    needed = {ord(ch) for ch in text if not ch.isspace()}
    return next((path for path in fonts() if needed <= _charmap(path)), None)


def shown_label(bar: ChartBar) -> str:
    """The bar's label if some usable font draws all of it, else its code (never empty boxes)."""
    return bar.label if font_for(bar.label) else bar.fallback


def completion_chart(bars: Sequence[ChartBar], *, title: str, axis: str, empty: str, more: str = "") -> bytes:
    """Horizontal bars of completion (%), the weakest on top, at most MAX_BARS; PNG bytes.

    `more` is a note drawn under the chart when bars were left out (e.g. "30 of 45 shown").
    """
    # Imported here: matplotlib takes most of a second to load, and most updates never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    shown = sorted(bars, key=lambda b: (b.total == 0, b.rate, b.fallback))[:MAX_BARS]
    shown.reverse()  # barh draws the first bar at the bottom: the weakest goes last, on top
    labels = [_clip(shown_label(b)) for b in shown]
    height = 1.6 + 0.42 * max(len(shown), 2) + (0.25 if more else 0)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    # Margins from the labels' widths: a layout engine would draw everything twice to measure it.
    left = 0.3 + max((_width_em(label) for label in labels), default=0) * LABEL_PT / 72
    bottom = 0.7 + (0.25 if more else 0)
    figure.subplots_adjust(
        left=left / WIDTH_INCHES, right=1 - 0.25 / WIDTH_INCHES, top=1 - 0.55 / height, bottom=bottom / height
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    def prop(text: str, size: float) -> dict[str, Any]:
        path = font_for(text) or FONT
        return {"fontproperties": FontProperties(fname=str(path), size=size)}

    axes.set_title(title, **prop(title, 13))
    if not shown:
        axes.axis("off")
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes, **prop(empty, 12))
        return _png(figure)
    positions = range(len(shown))
    axes.barh(positions, [b.rate for b in shown], color=[_colour(b) for b in shown], height=0.65)
    axes.set_yticks(list(positions), labels=labels)
    for tick, label in zip(axes.get_yticklabels(), labels, strict=True):
        tick.set_fontproperties(prop(label, LABEL_PT)["fontproperties"])
    for position, bar in zip(positions, shown, strict=True):
        note = f"{bar.rate:.0f}%  {bar.done}/{bar.total}" if bar.total else "—"
        axes.text(min(bar.rate, 100) + 1, position, note, va="center", **prop(note, 9))
    axes.set_xlim(0, 118)
    axes.set_ylim(-0.6, len(shown) - 0.4)
    axes.set_xticks([0, 20, 40, 60, 80, 100])
    axes.set_xlabel(axis, **prop(axis, 10))
    for tick in axes.get_xticklabels():
        tick.set_fontproperties(FontProperties(fname=str(FONT), size=9))
    axes.spines[["top", "right"]].set_visible(False)
    if more:
        figure.text(0.01, 0.005, more, ha="left", va="bottom", color="#555555", **prop(more, 9))
    return _png(figure)


def _width_em(text: str) -> float:
    """Rough width in ems: hanzi and full-width forms one em, the rest about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def _clip(label: str) -> str:
    """Very long names are shortened so the bars keep most of the width."""
    if _width_em(label) <= MAX_LABEL_EM:
        return label
    while _width_em(label) > MAX_LABEL_EM - 1:
        label = label[:-1]
    return label + "…"


def _colour(bar: ChartBar) -> str:
    if not bar.total:
        return COLOURS["none"]
    return COLOURS["good" if bar.rate >= GOOD else "fair" if bar.rate >= FAIR else "poor"]


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()

"""Charts for the supervisors' digests, drawn with Pillow into PNG bytes.

A chart is a few rectangles, lines and labels, so it is drawn directly on a Pillow image: a plotting
library's figure and text layout cost half a second a chart, which 5,000 digests a day cannot pay.
Sizes follow the old figure (8 inches at 110 dpi, type sizes in points). Chinese is drawn with the
project's own font (fonts/NotoSansCJKsc-Regular-subset.otf, OFL); a label with a character that font
lacks uses a system CJK font that has it, else the bar's code, so no label ever shows as empty boxes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).resolve().parents[2] / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
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
X_MAX = 118  # the x axis runs past 100 so that a full bar's note still fits
TICK = round(3.5 * DPI / 72)  # tick length and the gap between a tick and its label, in pixels
INK, GREY = "#000000", "#555555"


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
    # A collection (.ttc) needs a face number; its faces share one character map.
    font = TTFont(str(path), fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


@cache
def _font(path: Path, pt: float) -> ImageFont.FreeTypeFont:
    """Loaded once per font and size: loading parses the whole font file."""
    # Basic layout: no shaping is needed for hanzi and Latin, and charts look the same with or
    # without libraqm installed.
    return ImageFont.truetype(str(path), round(pt * DPI / 72), layout_engine=ImageFont.Layout.BASIC)


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


def _text_font(text: str, pt: float) -> ImageFont.FreeTypeFont:
    return _font(font_for(text) or FONT, pt)


def completion_chart(bars: Sequence[ChartBar], *, title: str, axis: str, empty: str, more: str = "") -> bytes:
    """Horizontal bars of completion (%), the weakest on top, at most MAX_BARS; PNG bytes.

    `more` is a note drawn under the chart when bars were left out (e.g. "30 of 45 shown").
    """
    shown = sorted(bars, key=lambda b: (b.total == 0, b.rate, b.fallback))[:MAX_BARS]
    labels = [_clip(shown_label(b)) for b in shown]
    width = round(WIDTH_INCHES * DPI)
    height = round((1.6 + 0.42 * max(len(shown), 2) + (0.25 if more else 0)) * DPI)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    # The plot area, in pixels: the labels' own widths make the left margin.
    label_width = max((_text_font(label, LABEL_PT).getlength(label) for label in labels), default=0)
    left = round(0.3 * DPI + label_width)
    right = width - round(0.25 * DPI)
    top = round(0.55 * DPI)
    bottom = height - round((0.7 + (0.25 if more else 0)) * DPI)
    draw.text(((left + right) / 2, top - TICK), title, fill=INK, font=_text_font(title, 13), anchor="md")
    if more:
        draw.text((0.01 * width, height - 2), more, fill=GREY, font=_text_font(more, 9), anchor="ld")
    if not shown:
        centre = ((left + right) / 2, (top + bottom) / 2)
        draw.text(centre, empty, fill=INK, font=_text_font(empty, 12), anchor="mm")
        return _png(image)

    def x_at(rate: float) -> int:
        return left + round(rate / X_MAX * (right - left))

    # Rows like the old figure's: each bar 0.65 of its row, 0.6 of a row above the first and
    # below the last bar's centre.
    row = (bottom - top) / (len(shown) + 0.2)
    for n, (bar, label) in enumerate(zip(shown, labels, strict=True)):
        middle = top + (n + 0.6) * row
        if bar.rate > 0:
            draw.rectangle(
                (left, round(middle - 0.325 * row), x_at(bar.rate), round(middle + 0.325 * row) - 1),
                fill=_colour(bar),
            )
        note = f"{bar.rate:.0f}%  {bar.done}/{bar.total}" if bar.total else "—"
        note_at = (x_at(min(bar.rate, 100) + 1), middle)
        draw.text(note_at, note, fill=INK, font=_text_font(note, 9), anchor="lm")
        draw.line((left - TICK, round(middle), left, round(middle)), fill=INK)
        draw.text((left - 2 * TICK, middle), label, fill=INK, font=_text_font(label, LABEL_PT), anchor="rm")
    draw.line((left, top, left, bottom), fill=INK)
    draw.line((left, bottom, right, bottom), fill=INK)
    numbers = _font(FONT, 9)
    for value in range(0, 101, 20):
        x = x_at(value)
        draw.line((x, bottom, x, bottom + TICK), fill=INK)
        draw.text((x, bottom + 2 * TICK), str(value), fill=INK, font=numbers, anchor="mt")
    below_numbers = bottom + 3 * TICK + numbers.size
    draw.text(((left + right) / 2, below_numbers), axis, fill=INK, font=_text_font(axis, 10), anchor="mt")
    return _png(image)


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


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # The fastest zlib level: most of a chart's time is its PNG encoding, and on these flat
    # colours level 1 comes out no bigger than the default.
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()

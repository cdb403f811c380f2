"""The digest's chart: a readable PNG whose Chinese labels are drawn from real glyphs, never tofu."""

from __future__ import annotations

import io
import subprocess
import sys
from zoneinfo import ZoneInfo

from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image

from handlers.render import Renderer
from handlers.supervisor import charts
from handlers.supervisor.charts import COLOURS, FONT, ChartBar, completion_chart, font_for, shown_label

TITLE = "本周应完成事项完成率 · 测试社区"
BARS = [
    ChartBar("第一网格", "T-G1", 1, 10),
    ChartBar("第二网格", "T-G2", 7, 8),
    ChartBar("演示街道十二 幸福里社区", "DEMO-C01-T12", 0, 3),
    ChartBar("WA 测试员", "WA", 5, 5),
]
RGB = {name: tuple(int(hex_[i : i + 2], 16) for i in (1, 3, 5)) for name, hex_ in COLOURS.items()}


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _chart(bars: list[ChartBar], **kwargs: str) -> Image.Image:
    return _image(completion_chart(bars, title=TITLE, axis="完成率（%）", empty="暂无", **kwargs))


def _count(image: Image.Image, test) -> int:  # type: ignore[no-untyped-def]
    """How many pixels pass `test` (a predicate on an (r, g, b) tuple)."""
    colours = image.getcolors(maxcolors=image.width * image.height) or []
    return sum(n for n, rgb in colours if test(rgb))


def _near(rgb: tuple[int, ...], colour: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 5 for a, b in zip(rgb, colour, strict=True))


def _bar_colour(rgb: tuple[int, ...]) -> str | None:
    return next((name for name, colour in RGB.items() if rgb == colour), None)


def _bars_from_top(image: Image.Image) -> list[tuple[str, int]]:
    """The bars drawn, top to bottom: (colour name, width in pixels), read off the picture."""
    pixels = image.load()
    coloured = [x for x in range(image.width) for y in range(0, image.height, 2) if _bar_colour(pixels[x, y])]
    axis = min(coloured)  # every bar starts at the y axis
    found: list[tuple[str, int]] = []
    y = 0
    while y < image.height:
        name = _bar_colour(pixels[axis + 1, y])
        if name is None:
            y += 1
            continue
        top = y
        while y < image.height and _bar_colour(pixels[axis + 1, y]) == name:
            y += 1
        middle = (top + y) // 2
        end = axis
        while _bar_colour(pixels[end + 1, middle]) == name:
            end += 1
        found.append((name, end - axis + 1))
    return found


def test_the_chart_is_a_png_of_readable_size_that_is_not_blank():
    image = _chart(BARS)
    assert image.width == round(charts.WIDTH_INCHES * charts.DPI) and 250 <= image.height <= 1200
    assert image.getpixel((0, 0)) == (255, 255, 255)  # a white background, not a transparent one
    ink = _count(image, lambda rgb: min(rgb) < 230) / (image.width * image.height)
    assert 0.02 < ink < 0.6
    for colour in (RGB["poor"], RGB["good"]):  # the weak and the strong bar are both drawn
        assert _count(image, lambda rgb, c=colour: _near(rgb, c)) > 500


def test_bars_go_weakest_on_top_coloured_by_the_thresholds_and_as_long_as_their_rate():
    bars = [
        ChartBar("甲", "A", 85, 100),  # good: at GOOD
        ChartBar("乙", "B", 84, 100),  # fair: just under GOOD
        ChartBar("丙", "C", 60, 100),  # fair: at FAIR
        ChartBar("丁", "D", 59, 100),  # poor: just under FAIR
        ChartBar("戊", "E", 0, 0),  # nothing owed: no bar, drawn last
    ]
    drawn = _bars_from_top(_chart(bars))
    assert [name for name, _ in drawn] == ["poor", "fair", "fair", "good"]
    widths = [width for _, width in drawn]
    for rate, width in zip((59, 60, 84, 85), widths, strict=True):
        assert abs(width / widths[-1] - rate / 85) < 0.01


def test_a_bar_over_a_hundred_percent_is_drawn_no_longer_than_the_axis_allows():
    drawn = _bars_from_top(_chart([ChartBar("甲", "A", 12, 10), ChartBar("乙", "B", 10, 10)]))
    assert [name for name, _ in drawn] == ["good", "good"]
    assert drawn[0][1] <= round(charts.WIDTH_INCHES * charts.DPI)


def test_the_chart_grows_with_its_bars_up_to_the_thirty_shown():
    many = [ChartBar(f"社区{i}", f"C{i}", i, 100) for i in range(45)]
    heights = {n: _chart(many[:n]).height for n in (1, 2, 3, 10, 30, 45)}
    assert heights[1] == heights[2] < heights[3] < heights[10] < heights[30] == heights[45]
    assert len(_bars_from_top(_chart(many))) == charts.MAX_BARS - 1  # "C0" is at 0%: no bar


def test_at_most_the_weakest_thirty_bars_are_drawn():
    many = [ChartBar(f"社区{i}", f"C{i}", i + 1, 100) for i in range(45)]
    drawn = _bars_from_top(_chart(many, more="仅显示 30 项"))
    weakest = _bars_from_top(_chart(many[:30], more="仅显示 30 项"))
    assert drawn == weakest and len(drawn) == charts.MAX_BARS


def test_the_note_of_bars_left_out_is_drawn_at_the_bottom():
    plain, noted = _chart(BARS), _chart(BARS, more="仅显示 30 项（共 45 项）")
    band = round(0.25 * charts.DPI)
    assert abs(noted.height - plain.height - band) <= 1

    def bottom_ink(image: Image.Image) -> int:
        corner = image.crop((0, image.height - band, image.width // 2, image.height))
        return _count(corner, lambda rgb: min(rgb) < 200)

    assert bottom_ink(plain) == 0 and bottom_ink(noted) > 50


def test_every_chinese_character_of_the_labels_has_a_glyph_in_the_bundled_font():
    cmap = TTFont(str(FONT)).getBestCmap()
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    chart_labels = [renderer.label("zh_CN", k) for k in ("sv_chart_axis", "sv_chart_empty", "sv_unassigned")]
    chart_labels += [renderer.label("zh_CN", f"sv_chart_title_{k}") for k in ("day", "week", "month")]
    for text in [TITLE, *chart_labels, *(b.label for b in BARS), "—"]:
        missing = [ch for ch in text if not ch.isspace() and ord(ch) not in cmap]
        assert not missing, f"no glyph for {missing} in {text!r}"
        assert font_for(text) == FONT


def test_a_label_no_font_can_draw_falls_back_to_its_code(monkeypatch):
    monkeypatch.setattr(charts, "SYSTEM_CJK_FONTS", ())
    rare = ChartBar("𠀋社区", "X-RARE", 1, 2)  # a character outside GB 2312 and outside the BMP
    assert font_for(rare.label) is None
    assert shown_label(rare) == "X-RARE"
    assert shown_label(BARS[0]) == "第一网格"
    assert _chart([rare]).height > 100


def test_a_label_the_bundled_font_lacks_is_drawn_with_a_system_font_that_has_it(monkeypatch, tmp_path):
    # A bundled font without the label's hanzi (missing glyphs drawn as boxes), the full one as the
    # system font: the chart must look exactly as if the bundled font had them all.
    small = tmp_path / "small.otf"
    font = TTFont(str(FONT))
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    kept = set(range(0x20, 0x7F)) | {ord(ch) for ch in TITLE + "完成率（%）暂无—"}
    subsetter.populate(unicodes=kept)
    subsetter.subset(font)
    font.save(str(small))
    bars = [ChartBar("幸福里", "XFL", 3, 4)]
    whole = _chart(bars).tobytes()

    monkeypatch.setattr(charts, "FONT", small)
    monkeypatch.setattr(charts, "SYSTEM_CJK_FONTS", (FONT,))
    assert font_for("幸福里") == FONT and font_for("完成率") == small
    assert shown_label(bars[0]) == "幸福里"
    assert _chart(bars).tobytes() == whole
    monkeypatch.setattr(charts, "SYSTEM_CJK_FONTS", ())
    assert _chart(bars).tobytes() != whole  # without it: the code "XFL" instead


def test_an_empty_chart_says_so_instead_of_drawing_nothing():
    image = _image(completion_chart([], title=TITLE, axis="完成率", empty="本期暂无应完成事项"))
    assert _count(image, lambda rgb: max(rgb) < 128) > 200  # the title and the notice are drawn
    assert not _count(image, lambda rgb: _bar_colour(rgb) is not None)


def test_drawing_a_chart_loads_no_plotting_library():
    # matplotlib took most of a second to import and half a second a chart: it must not come back.
    code = (
        "import sys; from handlers.supervisor.charts import ChartBar, completion_chart; "
        "completion_chart([ChartBar('第一网格', 'G1', 1, 2)], title='t', axis='a', empty='e'); "
        "sys.exit('matplotlib' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

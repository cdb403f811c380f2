"""The digest's chart: a readable PNG whose Chinese labels are drawn from real glyphs, never tofu."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import matplotlib
from matplotlib.ft2font import FT2Font
from matplotlib.image import imread

from handlers import charts
from handlers.charts import FONT, ChartBar, completion_chart, font_for, shown_label
from handlers.render import Renderer

TITLE = "本周应完成事项完成率 · 测试社区"
BARS = [
    ChartBar("第一网格", "T-G1", 1, 10),
    ChartBar("第二网格", "T-G2", 7, 8),
    ChartBar("演示街道十二 幸福里社区", "DEMO-C01-T12", 0, 3),
    ChartBar("WA 测试员", "WA", 5, 5),
]


def _image(png: bytes):
    return imread(io.BytesIO(png), format="png")


def test_the_chart_is_a_png_of_readable_size_that_is_not_blank():
    png = completion_chart(BARS, title=TITLE, axis="完成率（%）", empty="暂无")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = _image(png)
    height, width = image.shape[:2]
    assert width == round(charts.WIDTH_INCHES * charts.DPI) and 250 <= height <= 1200
    rgb = image[..., :3]
    ink = (rgb < 0.9).any(axis=-1).mean()  # share of pixels that are not (nearly) white
    assert 0.02 < ink < 0.6
    red, green = (0xE6 / 255, 0x39 / 255, 0x46 / 255), (0x2A / 255, 0x9D / 255, 0x8F / 255)
    for colour in (red, green):  # the weak and the strong bar are both drawn
        assert (abs(rgb - colour) < 0.02).all(axis=-1).sum() > 500


def test_every_chinese_character_of_the_labels_has_a_glyph_in_the_bundled_font():
    font = FT2Font(str(FONT))
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    chart_labels = [renderer.label("zh_CN", k) for k in ("sv_chart_axis", "sv_chart_empty", "sv_unassigned")]
    chart_labels += [renderer.label("zh_CN", f"sv_chart_title_{k}") for k in ("day", "week", "month")]
    for text in [TITLE, *chart_labels, *(b.label for b in BARS)]:
        missing = [ch for ch in text if not ch.isspace() and font.get_char_index(ord(ch)) == 0]
        assert not missing, f"no glyph for {missing} in {text!r}"
        assert font_for(text) == FONT


def test_a_label_no_font_can_draw_falls_back_to_its_code(monkeypatch):
    monkeypatch.setattr(charts, "SYSTEM_CJK_FONTS", ())
    rare = ChartBar("𠀋社区", "X-RARE", 1, 2)  # a character outside GB 2312 and outside the BMP
    assert font_for(rare.label) is None
    assert shown_label(rare) == "X-RARE"
    assert shown_label(BARS[0]) == "第一网格"
    assert _image(completion_chart([rare], title=TITLE, axis="完成率", empty="暂无")).shape[0] > 100


def test_an_empty_chart_says_so_instead_of_drawing_nothing():
    image = _image(completion_chart([], title=TITLE, axis="完成率", empty="本期暂无应完成事项"))
    assert (image[..., :3] < 0.5).any(axis=-1).sum() > 200  # the title and the notice are drawn


def test_drawing_a_chart_changes_no_global_matplotlib_state():
    before = dict(matplotlib.rcParams)
    completion_chart(BARS, title=TITLE, axis="完成率", empty="暂无")
    assert dict(matplotlib.rcParams) == before


def test_at_most_the_weakest_thirty_bars_are_drawn():
    many = [ChartBar(f"社区{i}", f"C{i}", i, 100) for i in range(45)]
    tall = _image(completion_chart(many, title=TITLE, axis="完成率", empty="暂无", more="仅显示 30 项"))
    thirty = _image(
        completion_chart(many[:30], title=TITLE, axis="完成率", empty="暂无", more="仅显示 30 项")
    )
    assert abs(tall.shape[0] - thirty.shape[0]) <= 2

"""Issue 14.8: an import's problems read in the CLI's language; English when no text is known."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.render import Renderer
from models.services.spreadsheets.tables import COLOUR_ZH, COLOURS
from models.validation import Cells, RowError, explained

RENDERER = Renderer(ZoneInfo("Asia/Shanghai"))


def _colour_problem(value: str) -> RowError:
    errors: list[RowError] = []
    Cells(2, {"风险等级": value}, {"colour": "风险等级"}, errors).choice(
        "colour", COLOURS, "colour", COLOUR_ZH, "风险等级"
    )
    return errors[0]


def test_a_wrong_choice_lists_the_valid_values_in_chinese():
    assert (
        explained(_colour_problem("紫色"), RENDERER.labels("zh_CN"))
        == "风险等级「紫色」无效：应为 红色、橙色、白色、蓝色"
    )


def test_a_wrong_choice_lists_the_valid_values_in_english():
    text = explained(_colour_problem("purple"), RENDERER.labels("en"))
    assert text == "unknown colour 'purple' (valid: red, orange, white, blue)"


def test_the_english_message_is_kept_where_no_text_is_known():
    problem = _colour_problem("紫")
    assert problem.message == "unknown colour '紫'" and explained(problem, {}) == problem.message


def test_a_required_cell_is_explained_in_chinese():
    errors: list[RowError] = []
    Cells(3, {"姓名": ""}, {"name": "姓名"}, errors).text("name", required=True)
    assert (errors[0].row, errors[0].column, explained(errors[0], RENDERER.labels("zh_CN"))) == (
        3, "姓名", "必填，不能为空",
    )  # fmt: skip


def test_an_invisible_character_is_named_by_code_point_in_chinese():
    errors: list[RowError] = []
    Cells(2, {"姓名": "张\x1b[31m三"}, {"name": "姓名"}, errors)
    text = explained(errors[0], RENDERER.labels("zh_CN"))
    assert text.startswith("第 2 个字符是看不见的控制字符或文字方向字符（U+001B）") and "三" not in text

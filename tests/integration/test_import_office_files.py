"""Issue 14.8: `gridcare import` takes an office's spreadsheet as it is: a title row above the header,
the headers an office writes (证件号码, 手机, 所属网格 ...). Both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from models.areas import Area
from models.people import Colour, Person
from models.sealing import open_field
from models.validation import id_check_character
from tests.factories import TEST_KEYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIRST17 = "99000019900101001"


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    for kind, name in (("areas", "areas.csv"), ("workers", "workers.csv")):
        assert _import(kind, EXAMPLES / name)[0] == 0
    return tmp_path


def _import(kind: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["import", kind, str(path)])
    return result.exit_code, result.output


def _office_sheet(path: Path, header: list[str], *rows: list[object]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["示例街道社区戒毒康复人员花名册"])  # the title row offices put above the header
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_an_office_sheet_with_a_title_row_and_its_own_headers_imports(db, keys, env):
    id_number = FIRST17 + id_check_character(FIRST17)
    path = _office_sheet(
        env / "花名册.xlsx",
        ["人员编号", "姓名", "证件号码", "手机", "所属网格", "管控状态", "风险分类"],
        ["EX-P901", "示例对象九", id_number, "19900000901", "EX-G1", "社区戒毒", "橙色"],
    )
    code, out = _import("persons", path)
    assert code == 0, out
    with db.unit_of_work() as s:
        person = s.scalar(select(Person).where(Person.code == "EX-P901"))
        assert (person.colour, open_field(keys, person, "phone")) == (Colour.orange, "19900000901")
        assert open_field(keys, person, "id_number") == id_number


def test_a_header_problem_is_reported_on_the_header_row_under_the_title(env):
    path = _office_sheet(env / "bad.xlsx", ["人员编号", "姓名", "所属网格", "管控状态", "备注"],
                         ["EX-P902", "示例对象十", "EX-G1", "社区戒毒", "x"])  # fmt: skip
    code, out = _import("persons", path)
    assert code == 1
    assert "第 3 行，备注：无法识别的列：备注" in out


def _csv(path: Path, text: str) -> Path:
    path.write_text("编号,姓名,网格编码,状态,风险等级\n" + text, encoding="utf-8")
    return path


def test_a_wrong_value_is_explained_in_chinese_with_the_valid_values(env):
    code, out = _import("persons", _csv(env / "p.csv", "EX-P903,示例对象,EX-G1,社区戒毒,紫色\n"))
    assert code == 1
    assert "共 1 个问题，未写入任何数据" in out
    assert "第 2 行，风险等级：风险等级「紫色」无效：应为 红色、橙色、白色、蓝色" in out


def test_a_missing_area_and_a_bad_date_are_explained_in_chinese(env):
    path = env / "d.csv"
    path.write_text("编号,姓名,网格编码,状态,风险等级,开始日期\nEX-P904,示例对象,EX-G9,社区戒毒,蓝色,2025-13-01\n",
                    encoding="utf-8")  # fmt: skip
    code, out = _import("persons", path)
    assert code == 1
    assert "区域「EX-G9」不存在" in out and "「2025-13-01」不是日期" in out


def test_a_control_character_is_named_in_chinese_never_echoed(env):
    code, out = _import("persons", _csv(env / "c.csv", "EX-P905,示例\u202e对象,EX-G1,社区戒毒,蓝色\n"))
    assert code == 1
    assert "U+202E" in out and "示例" not in out and "\u202e" not in out


def test_the_row_limit_is_explained_in_chinese(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_IMPORT_MAX_ROWS", "2")
    rows = "".join(f"EX-P9{n},示例对象,EX-G1,社区戒毒,蓝色\n" for n in range(3))
    code, out = _import("persons", _csv(env / "big.csv", rows))
    assert code == 1
    assert "的数据超过 2 行，未导入：请拆分文件，或调大 GRIDCARE_IMPORT_MAX_ROWS" in out


def test_a_grid_written_by_its_name_is_that_grid(db, env):
    code, out = _import("persons", _csv(env / "n.csv", "EX-P906,示例对象,示例社区第一网格,社区戒毒,蓝色\n"))
    assert code == 0, out
    with db.unit_of_work() as s:
        assert s.scalar(
            select(Area.code).join(Person, Person.area_id == Area.id).where(Person.code == "EX-P906")
        ) == ("EX-G1")


def test_a_name_two_areas_share_asks_for_the_code(db, env):
    with db.unit_of_work() as s:  # a second area of the same name, in another community
        s.scalar(select(Area).where(Area.code == "EX-G3")).name = "示例社区第一网格"
    code, out = _import("persons", _csv(env / "a.csv", "EX-P907,示例对象,示例社区第一网格,社区戒毒,蓝色\n"))
    assert code == 1, out
    assert "有多个区域名为「示例社区第一网格」：请填写区域编码" in out


def test_area_problems_of_an_areas_file_are_explained_in_chinese(env):
    path = env / "areas.csv"
    path.write_text(
        "编码,名称,级别,上级编码\nEX-G1,示例社区第一网格,网格,EX-M2\nEX-X1,新县,县,EX-G2\n", encoding="utf-8"
    )
    code, out = _import("areas", path)
    assert code == 1
    assert "区域「EX-G1」现属于「EX-M1」：导入不能移动区域" in out
    assert "「县」不能隶属于「网格」" in out

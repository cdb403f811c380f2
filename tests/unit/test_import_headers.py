"""Issue 14.8: an office's spreadsheet imports as it is: common header synonyms, required marks,
full-width characters, and a title row above the header row."""

from __future__ import annotations

import pytest

from models.services.spreadsheets.tables import (
    COLUMNS,
    HEADER_SEARCH,
    Row,
    known_headers,
    match_headers,
    read_table,
)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("证件号码", "id_number"), ("身份证号", "id_number"), ("公民身份号码", "id_number"),
        ("手机", "phone"), ("手机号", "phone"), ("联系电话", "phone"),
        ("所属网格", "area_code"), ("网格", "area_code"), ("现住址", "address"),
        ("人员编号", "code"), ("风险分类", "colour"), ("管控状态", "status"),
    ],
)  # fmt: skip
def test_a_common_person_header_names_its_field(header, field):
    mapping, unknown, _ = match_headers(COLUMNS["persons"], [header])
    assert (mapping, unknown) == ({field: header}, [])


@pytest.mark.parametrize("header", ["姓名*", "姓名（必填）", "姓名(必填)", "姓名＊", "　姓名　"])
def test_a_required_mark_or_full_width_character_does_not_hide_a_header(header):
    mapping, unknown, _ = match_headers(COLUMNS["persons"], [header])
    assert (mapping, unknown) == ({"name": header}, [])


def test_two_synonyms_of_one_field_are_the_same_column():
    _, _, repeated = match_headers(COLUMNS["persons"], ["手机", "联系电话"])
    assert repeated == {"联系电话": "手机"}


def test_a_worker_sheet_takes_the_office_headers():
    headers = ["工号", "姓名", "岗位", "所属网格", "手机号"]
    mapping, unknown, _ = match_headers(COLUMNS["workers"], headers)
    assert (sorted(mapping), unknown) == (["area_code", "code", "name", "role", "work_phone"], [])


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_numbers(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "示例社区戒毒康复人员名单,,,,\n制表日期：2025年1月,,,,\n\n"
        "人员编号,姓名,所属网格,管控状态,风险分类\nEX-P1,示例对象01,EX-G1,社区戒毒,蓝色\n",
        encoding="utf-8",
    )
    rows = read_table(path, columns=COLUMNS["persons"])
    assert rows == [{"人员编号": "EX-P1", "姓名": "示例对象01", "所属网格": "EX-G1", "管控状态": "社区戒毒",
                     "风险分类": "蓝色"}]  # fmt: skip
    assert isinstance(rows[0], Row) and (rows[0].number, rows[0].header_row) == (5, 4)


def test_without_a_recognised_header_the_first_row_is_the_header(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("甲,乙\n1,2\n", encoding="utf-8")
    assert read_table(path, columns=COLUMNS["persons"]) == [{"甲": "1", "乙": "2"}]


def test_a_header_below_the_rows_searched_is_not_found(tmp_path):
    path = tmp_path / "deep.csv"
    titles = "".join(f"说明{n}\n" for n in range(HEADER_SEARCH))
    path.write_text(titles + "编号,姓名\nEX-P1,示例对象01\n", encoding="utf-8")
    assert "编号" not in read_table(path, columns=COLUMNS["persons"])[0]


def test_known_headers_are_normalised():
    assert {"证件号码", "name", "所属网格"} <= known_headers(COLUMNS["persons"])

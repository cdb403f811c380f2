"""Issue 14.8: `gridcare export records` carries every field of every record kind, as the chat names
it, in local time with its offset; one sheet per kind in Chinese and a data dictionary (both backends)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from handlers.render import Renderer
from models.audit import Actor, AuditEntry
from models.records import RecordKind
from models.services.spreadsheets.record_export import export_records, local_time
from tests.factories import TEST_KEYS, make_person, make_record, make_tree, make_worker

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHEETS = [
    "走访",
    "吸毒检测",
    "法制教育",
    "思想汇报",
    "评估",
    "帮扶",
    "心理咨询",
    "报到",
    "工作记录",
    "数据字典",
]


def _city(db, keys, now) -> str:
    """One person with a record of every kind (a correction chain among them); the city's code."""
    with db.unit_of_work() as s:
        tree = make_tree(s, prefix="RX")
        worker = make_worker(s, tree["G1"], code="RX-W1")
        person = make_person(s, tree["G1"], keys=keys, now=now, code="RX-P1", worker=worker)
        at = now - timedelta(days=1)
        wrong = make_record(
            s,
            person,
            worker,
            at,
            RecordKind.visit,
            subkind="phone",
            result="stable",
            details={"living": "unchanged", "work": "unchanged", "social": "none", "routine": False},
            voided=True,
            void_reason="corrected",
        )
        make_record(
            s,
            person,
            worker,
            at,
            RecordKind.visit,
            subkind="home",
            result="worrying",
            place="家中",
            notes="情绪低落",
            photo_ref="photo:AgAD-visit",
            corrects_id=wrong.id,
            late=True,
            details={"living": "difficult", "work": "seeking", "social": "contact", "routine": False},
        )
        make_record(
            s,
            person,
            worker,
            at,
            RecordKind.drug_test,
            subkind="urine",
            result="positive",
            details={"method": "rapid_kit", "substances": ["methamphetamine", "ketamine"], "routine": False},
            photo_ref="photo:AgAD-kit",
        )
        make_record(
            s,
            person,
            worker,
            at,
            RecordKind.education,
            subkind="group",
            details={"group": {"kind": "legal", "size": 12}, "topic_key": "law"},
        )
        make_record(s, person, worker, at, RecordKind.thought_report, subkind="written")
        make_record(
            s,
            person,
            worker,
            at,
            RecordKind.assessment,
            subkind="quantitative",
            result="orange",
            score=72,
            notes="仍需关注",
        )
        make_record(s, person, worker, at, RecordKind.help, subkind="allowance", notes="申请低保")
        make_record(
            s,
            person,
            worker,
            at,
            RecordKind.counselling,
            subkind="individual",
            result="improved",
            details={"focus": "craving"},
        )
        make_record(s, person, worker, at, RecordKind.registration, subkind="police")
        make_record(s, person, worker, at, RecordKind.note, notes="电话未接通")
        return tree["CITY"].code


def _export(db, now, city, locale="zh_CN"):
    labels = Renderer(SHANGHAI).labels(locale)
    with db.unit_of_work() as s:
        return export_records(s, city, actor=Actor.cli(), now=now, tz=SHANGHAI, labels=labels, locale=locale)


def _only(table) -> dict[str, object]:
    headers, rows = table
    assert len(rows) == 1
    return dict(zip(headers, rows[0], strict=True))


def _by_header(table, header, value) -> dict[str, object]:
    headers, rows = table
    found = [dict(zip(headers, row, strict=True)) for row in rows if row[headers.index(header)] == value]
    assert len(found) == 1
    return found[0]


def test_local_time_carries_the_zones_offset(now):
    assert local_time(now, SHANGHAI) == "2026-03-04 10:00 +08:00"
    assert local_time(now, ZoneInfo("America/St_Johns")) == "2026-03-03 22:30 -03:30"


def test_every_kind_has_its_sheet_named_as_the_chat_names_it_and_a_data_dictionary(db, keys, now):
    exported = _export(db, now, _city(db, keys, now))
    assert list(exported.workbook()) == SHEETS


def test_a_visit_carries_its_observations_place_photo_flags_and_author_in_chinese(db, keys, now):
    exported = _export(db, now, _city(db, keys, now))
    visit = _by_header(exported.sheets["走访"], "已作废", "否")
    expected = {
        "对象编号": "RX-P1",
        "记录类型": "走访",
        "发生时间": "2026-03-03 10:00 +08:00",
        "填报时间": "2026-03-03 10:00 +08:00",
        "填报人工号": "RX-W1",
        "迟报": "是",
        "已作废": "否",
        "已被更正": "否",
        "情况说明": "情绪低落",
        "照片引用": "photo:AgAD-visit",
        "走访方式": "入户见面",
        "整体情况": "有令人担心的情况",
        "生活情况": "生活困难",
        "就业情况": "在找工作",
        "社会交往": "与吸毒人员有接触",
        "地点": "家中",
        "快捷录入": "否",
    }
    assert {header: visit[header] for header in expected} == expected


def test_a_corrected_record_is_voided_flagged_and_names_its_correction(db, keys, now):
    exported = _export(db, now, _city(db, keys, now))
    sheet = exported.sheets["走访"]
    wrong = _by_header(sheet, "已作废", "是")
    right = _by_header(sheet, "已作废", "否")
    shown = (wrong["已被更正"], wrong["更正记录编号"], wrong["走访方式"])
    assert shown == ("是", right["记录编号"], "电话联系")
    assert right["所更正记录编号"] == wrong["记录编号"]


def test_a_drug_test_carries_method_result_substances_and_kit_photo(db, keys, now):
    test = _only(_export(db, now, _city(db, keys, now)).sheets["吸毒检测"])
    assert [test[h] for h in ("检测样本", "检测方法", "检测结果", "检出物质", "照片引用")] == [
        "尿液",
        "快速检测试剂",
        "阳性",
        "甲基苯丙胺（冰毒）、氯胺酮（K粉）",
        "photo:AgAD-kit",
    ]


def test_assessment_help_counselling_registration_and_group_education_carry_their_values(db, keys, now):
    sheets = _export(db, now, _city(db, keys, now)).sheets
    assessment, help_given = _only(sheets["评估"]), _only(sheets["帮扶"])
    counselling, registration = _only(sheets["心理咨询"]), _only(sheets["报到"])
    education = _only(sheets["法制教育"])
    assert [assessment[h] for h in ("评估类型", "评估得分", "建议风险等级", "情况说明")] == [
        "量化评估",
        72,
        "橙色",
        "仍需关注",
    ]
    assert (help_given["帮扶类型"], help_given["情况说明"]) == ("低保", "申请低保")
    counselled = [counselling[h] for h in ("辅导方式", "辅导重点", "辅导效果")]
    assert counselled == ["个体面询", "心瘾与防复吸", "有所好转"]
    assert registration["报到地点"] == "派出所"
    educated = [education[h] for h in ("教育形式", "教育主题", "集中教育人数")]
    assert educated == ["集中教育", "禁毒法律法规", 12]


def test_the_csv_table_holds_every_record_and_every_column_once(db, keys, now):
    headers, rows = _export(db, now, _city(db, keys, now)).flat
    assert len(rows) == 10 and len(headers) == len(set(headers))
    assert {"检出物质", "评估得分", "辅导重点", "报到地点", "照片引用", "迟报"} <= set(headers)


def test_english_locale_gives_english_headers_values_and_sheet_names(db, keys, now):
    exported = _export(db, now, _city(db, keys, now), locale="en")
    assert "Data dictionary" in exported.workbook() and "drug test" in exported.sheets
    test = _only(exported.sheets["drug test"])
    assert (test["kind"], test["test_result"], test["late"]) == ("drug test", "Positive", "no")


def test_the_data_dictionary_lists_every_column_with_its_allowed_values(db, keys, now):
    exported = _export(db, now, _city(db, keys, now))
    _, (headers, rows) = exported.dictionary
    described = {(row[0], row[1]) for row in rows}
    for sheet, (columns, _) in exported.sheets.items():
        assert all((sheet, c) in described or ("所有工作表", c) in described for c in columns), sheet
    result = next(row for row in rows if row[1] == "检测结果")
    assert result[headers.index("允许的值")] == "阴性、阳性、拒绝检测、结果无效、未到场"


def test_the_export_is_audited_with_its_count(db, keys, now):
    _export(db, now, _city(db, keys, now))
    with db.unit_of_work() as s:
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.record_type == "records"))
    assert detail == "n=10"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_gridcare_export_records_writes_the_sheets_privately(db, keys, now, monkeypatch, tmp_path, fmt):
    city = _city(db, keys, now)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    out = tmp_path / f"records.{fmt}"
    result = CliRunner().invoke(app, ["export", "records", "--area", city, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o077 == 0
    if fmt == "xlsx":
        workbook = load_workbook(out, read_only=True)
        assert workbook.sheetnames == SHEETS
        assert [c.value for c in next(workbook["报到"].iter_rows(max_row=1))][-1] == "报到地点"
    else:
        assert "检出物质" in out.read_text(encoding="utf-8-sig").splitlines()[0]

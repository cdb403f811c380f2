"""Importing the directory from spreadsheets (checked first, written all or nothing) and exporting it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from bot.cli import app
from handlers.render import Renderer
from models.areas import Area
from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.outbox import OutboxMessage
from models.people import CareAssignment, Colour, ColourChange, FamilyMember, Person, Status, Worker
from models.records import Record, RecordKind
from models.services.directory.invites import invite_family
from models.services.spreadsheets.exporting import export_persons, write_csv, write_xlsx
from models.services.spreadsheets.importing import (
    ImportResult,
    Reassigned,
    RowError,
    apply_import,
    plan_import,
)
from models.services.spreadsheets.record_export import export_records
from models.services.spreadsheets.tables import read_table
from models.validation import id_check_character
from tests.factories import TEST_KEYS
from tests.support.chat import CoreChat, build_core

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BAD_ID = "ID number must be 18 characters (17 digits + digit or X) with a valid checksum"
BAD_PHONE = "phone must be 11 digits starting with 1, or a landline of digits and '-'"


def _id(serial: int) -> str:
    first17 = f"9900001990010{serial:04d}"
    return first17 + id_check_character(first17)


def _import(db, keys, now, kind, source, **options) -> ImportResult:
    rows = read_table(source) if isinstance(source, Path) else source
    with db.unit_of_work() as s:
        plan = plan_import(s, kind, rows)
        assert plan.errors == []
        return apply_import(s, plan, keys=keys, actor=Actor.cli(), now=now, **options)


def _import_examples(db, keys, now) -> list[ImportResult]:
    return [
        _import(db, keys, now, "areas", EXAMPLES / "areas.csv"),
        _import(db, keys, now, "workers", EXAMPLES / "workers.csv"),
        _import(db, keys, now, "persons", EXAMPLES / "persons.xlsx"),
    ]


def _count(db, model) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model))


def _export(db, keys, now, area_code="EX-CITY", **options):
    with db.unit_of_work() as s:
        return export_persons(s, area_code, keys=keys, actor=Actor.cli(), now=now, **options)


def test_examples_import_areas_then_workers_then_persons(db, keys, now):
    results = _import_examples(db, keys, now)
    assert results == [ImportResult(11, 0), ImportResult(8, 0), ImportResult(12, 0)]
    assert [_count(db, m) for m in (Area, Worker, Person, CareAssignment)] == [11, 8, 12, 12]
    with db.unit_of_work() as s:
        p002 = s.scalar(select(Person).where(Person.code == "EX-P002"))
        p006 = s.scalar(select(Person).where(Person.code == "EX-P006"))
    assert p002.programme_end == date(2028, 3, 2)  # defaulted: three years less a day from 2025-03-03
    assert (p006.status, p006.colour, p006.release_date) == (
        Status.compulsory_isolation,
        Colour.red,
        date(2026, 9, 30),
    )


def test_a_bad_file_reports_every_error_and_writes_nothing(db, keys, now, tmp_path):
    _import(db, keys, now, "areas", EXAMPLES / "areas.csv")
    _import(db, keys, now, "workers", EXAMPLES / "workers.csv")
    wrong_checksum = _id(3)[:-1] + ("1" if _id(3)[-1] != "1" else "2")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "编号,姓名,身份证号,联系电话,网格编码,状态,风险等级,开始日期,责任网格员\n"
        f"EX-P001,示例对象01,{_id(1)},19900000001,EX-G1,社区戒毒,紫,2025-01-06,W-G1\n"
        f"EX-P002,,{_id(2)},19900000002,EX-G1,社区戒毒,蓝色,,W-G1\n"
        ",,,,,,,,\n"
        f"EX-P003,示例对象03,{wrong_checksum},12345,EX-G9,社区戒毒,蓝,2025-13-01,W-X\n"
        f"EX-P001,示例对象04,{_id(4)},19900000004,EX-G1,迁入,蓝色,,W-G1\n",
        encoding="utf-8",
    )
    audits_before = _count(db, AuditEntry)
    with db.unit_of_work() as s:
        plan = plan_import(s, "persons", read_table(bad))
        with pytest.raises(ValueError, match="errors"):
            apply_import(s, plan, keys=keys, actor=Actor.cli(), now=now)

    assert sorted((e.row, e.column, e.message) for e in plan.errors) == sorted(
        [
            (2, "风险等级", "unknown colour '紫'"),
            (3, "姓名", "required"),
            (5, "身份证号", BAD_ID),
            (5, "联系电话", BAD_PHONE),
            (5, "网格编码", "area 'EX-G9' not found"),
            (5, "开始日期", "'2025-13-01' is not a date (use YYYY-MM-DD)"),
            (5, "责任网格员", "worker 'W-X' not found"),
            (6, "编号", "duplicate code in file (row 2)"),
            (6, "状态", "unknown status '迁入'"),
        ]
    )
    assert (_count(db, Person), _count(db, AuditEntry)) == (0, audits_before)


def test_unknown_and_missing_columns_are_reported_on_the_header_row(db):
    rows = [{"编号": "EX-P001", "姓名": "示例对象01", "备注": "x", "网格编码": "EX-G1"}]
    with db.unit_of_work() as s:
        plan = plan_import(s, "persons", rows)
    assert plan.items == []
    assert [(e.row, e.column) for e in plan.errors] == [(1, "备注"), (1, "status"), (1, "colour")]
    assert plan.errors[0].message == "unknown column(s): 备注"
    assert plan.errors[1].message.startswith("required column missing (status / 状态")


def test_reimport_creates_nothing_new_and_updates_a_changed_field(db, keys, now):
    _import_examples(db, keys, now)
    rows = read_table(EXAMPLES / "persons.xlsx")
    rows[0]["风险等级"] = "橙色"
    assert _import(db, keys, now, "areas", EXAMPLES / "areas.csv") == ImportResult(0, 11)
    assert _import(db, keys, now, "workers", EXAMPLES / "workers.csv") == ImportResult(0, 8)
    assert _import(db, keys, now, "persons", rows) == ImportResult(0, 12)
    assert [_count(db, m) for m in (Area, Worker, Person, CareAssignment)] == [11, 8, 12, 12]
    with db.unit_of_work() as s:
        changes = s.scalars(
            select(ColourChange.to_colour)
            .join(Person, Person.id == ColourChange.person_id)
            .where(Person.code == "EX-P001")
            .order_by(ColourChange.id)
        ).all()
    assert changes == [Colour.blue, Colour.orange]


def test_chinese_and_english_headers_and_values_give_the_same_plan(db):
    chinese = read_table(EXAMPLES / "areas.csv")
    levels = {"市": "city", "县": "county", "区": "county", "镇": "town", "街道": "town", "社区": "community"}
    english = [
        {
            "code": row["编码"],
            "name": row["名称"],
            "Level": levels.get(row["级别"], "GRID"),
            "parent": row["上级编码"],
            "address": row["地址"],
        }
        for row in chinese
    ]
    with db.unit_of_work() as s:
        from_chinese, from_english = plan_import(s, "areas", chinese), plan_import(s, "areas", english)
    assert from_chinese.errors == from_english.errors == []
    assert from_chinese.items == from_english.items
    assert len(from_chinese.items) == 11


def test_a_gb18030_csv_from_chinese_excel_is_read(db, tmp_path):
    source = (EXAMPLES / "areas.csv").read_text(encoding="utf-8")
    legacy = tmp_path / "areas-gb.csv"
    legacy.write_bytes(source.replace("\n", "\r\n").encode("gb18030"))
    assert read_table(legacy) == read_table(EXAMPLES / "areas.csv")
    with db.unit_of_work() as s:
        assert plan_import(s, "areas", read_table(legacy)).errors == []


def test_areas_in_any_order_are_planned_parents_first(db, keys, now):
    rows = list(reversed(read_table(EXAMPLES / "areas.csv")))
    with db.unit_of_work() as s:
        plan = plan_import(s, "areas", rows)
    order = [item.code for item in plan.items]
    assert all(order.index(i.parent_code) < order.index(i.code) for i in plan.items if i.parent_code)
    assert _import(db, keys, now, "areas", rows) == ImportResult(11, 0)


def test_a_parent_cycle_and_a_missing_parent_are_errors(db):
    rows = [
        {"code": "A", "name": "甲", "level": "grid", "parent": "B"},
        {"code": "B", "name": "乙", "level": "grid", "parent": "A"},
        {"code": "C", "name": "丙", "level": "grid", "parent": "NOPE"},
    ]
    with db.unit_of_work() as s:
        errors = plan_import(s, "areas", rows).errors
    assert RowError(2, "parent", "the parent chain is a cycle") in errors
    assert RowError(3, "parent", "the parent chain is a cycle") in errors
    assert RowError(4, "parent", "parent area 'NOPE' not found") in errors


def test_dates_in_every_accepted_form_are_read(db, keys, now):
    _import(db, keys, now, "areas", EXAMPLES / "areas.csv")
    forms = ["2025-01-06", "2025/1/6", "2025.01.06", "2025年1月6日"]
    person = {"name": "示例", "area": "EX-G1", "status": "社区戒毒", "colour": "蓝"}
    rows = [{**person, "code": f"D{n}", "报到日期": form} for n, form in enumerate(forms)]
    with db.unit_of_work() as s:
        plan = plan_import(s, "persons", rows)
    assert plan.errors == []
    assert {item.registered_on for item in plan.items} == {date(2025, 1, 6)}


def test_progress_is_reported_every_hundred_rows_and_at_the_end(db, keys, now):
    _import(db, keys, now, "areas", EXAMPLES / "areas.csv")
    rows = [{"code": f"W{n:03d}", "name": "示例", "role": "网格员", "area": "EX-G1"} for n in range(250)]
    seen: list[int] = []
    assert _import(db, keys, now, "workers", rows, progress=seen.append) == ImportResult(250, 0)
    assert seen == [100, 200, 250]


def test_xlsx_export_imports_again_without_errors(db, keys, now, tmp_path):
    _import_examples(db, keys, now)
    path = tmp_path / "persons.xlsx"
    write_xlsx(path, {"戒毒康复人员": _export(db, keys, now, with_sensitive=True)})
    with db.unit_of_work() as s:
        again = plan_import(s, "persons", read_table(path))
        original = plan_import(s, "persons", read_table(EXAMPLES / "persons.xlsx"))
    assert again.errors == []
    assert sorted(again.items, key=lambda i: i.code) == sorted(original.items, key=lambda i: i.code)


def test_reimporting_an_export_without_sensitive_columns_keeps_them(db, keys, now, tmp_path):
    _import_examples(db, keys, now)
    path = tmp_path / "persons.csv"
    write_csv(path, *_export(db, keys, now))
    assert _import(db, keys, now, "persons", path) == ImportResult(0, 12)
    headers, rows = _export(db, keys, now, with_sensitive=True)
    assert rows[0][headers.index("身份证号")] == read_table(EXAMPLES / "persons.xlsx")[0]["身份证号"]


def test_export_of_a_county_excludes_the_sibling_county(db, keys, now):
    _import_examples(db, keys, now)
    headers, rows = _export(db, keys, now, "EX-C1")
    grids = {row[headers.index("网格编码")] for row in rows}
    assert grids == {"EX-G1", "EX-G2"}
    assert len(rows) == 6 and len(_export(db, keys, now, "EX-CITY")[1]) == 12


def test_sensitive_fields_are_exported_only_when_asked_and_stored_as_ciphertext(db, keys, now):
    _import_examples(db, keys, now)
    plain_id = read_table(EXAMPLES / "persons.xlsx")[0]["身份证号"]
    headers, rows = _export(db, keys, now)
    assert not {"身份证号", "联系电话", "住址"} & set(headers)
    assert all(plain_id not in map(str, row) for row in rows)
    headers, rows = _export(db, keys, now, with_sensitive=True)
    assert rows[0][headers.index("身份证号")] == plain_id
    assert rows[0][headers.index("联系电话")] == "19900000001"
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT id_number_enc FROM persons WHERE code = 'EX-P001'")).scalar_one()
    assert plain_id.encode() not in bytes(stored)


def test_each_export_is_audited_with_a_count_and_no_personal_data(db, keys, now):
    _import_examples(db, keys, now)
    _export(db, keys, now, "EX-C1")
    _export(db, keys, now, "EX-C1", with_sensitive=True)
    with db.unit_of_work() as s:
        entries = s.execute(
            select(AuditEntry.record_type, AuditEntry.detail, AuditEntry.person_id)
            .where(AuditEntry.action == "export")
            .order_by(AuditEntry.id)
        ).all()
    assert entries[:2] == [("persons", "n=6", None), ("persons", "n=6;sensitive", None)]
    # and the sensitive one in the trail of each person it held (issue 17.16)
    per_person = entries[2:]
    assert {(kind, detail) for kind, detail, _ in per_person} == {
        ("persons", "sensitive:id_number,phone,address")
    }
    assert len({person for _, _, person in per_person} - {None}) == len(per_person) == 6


def test_records_export_covers_the_subtree_and_period(db, keys, now):
    _import_examples(db, keys, now)
    with db.unit_of_work() as s:
        ids = dict(s.execute(select(Person.code, Person.id)).all())
        author = s.scalar(select(Worker.id).where(Worker.code == "W-G1"))
        for code, days_ago in (("EX-P001", 1), ("EX-P001", 40), ("EX-P007", 1)):
            at = now - timedelta(days=days_ago)
            s.add(Record(person_id=ids[code], kind=RecordKind.visit, subkind="home", occurred_at=at,
                         author_id=author, created_at=now, updated_at=now))  # fmt: skip
    with db.unit_of_work() as s:
        tz = ZoneInfo("Asia/Shanghai")
        labels = Renderer(tz).labels("zh_CN")
        since = now - timedelta(days=7)
        exported = export_records(s, "EX-C1", actor=Actor.cli(), now=now, tz=tz, labels=labels, since=since)
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.record_type == "records"))
    headers, rows = exported.flat
    assert headers[:3] == ["记录编号", "对象编号", "记录类型"]
    assert [dict(zip(headers, row, strict=True))["对象编号"] for row in rows] == ["EX-P001"]
    assert rows[0][2:4] == ["走访", "2026-03-03 10:00 +08:00"]
    assert detail == "n=1"


def test_written_files_keep_text_as_text(tmp_path):
    headers, rows = ["编号", "姓名", "日期"], [["EX-1", "=1+2", date(2025, 1, 6)]]
    write_xlsx(tmp_path / "t.xlsx", {"表": (headers, rows)})
    write_csv(tmp_path / "t.csv", headers, rows)
    sheet = load_workbook(tmp_path / "t.xlsx")["表"]
    assert (sheet["B2"].value, sheet["B2"].data_type, sheet["A1"].font.b, sheet.freeze_panes) == (
        "=1+2",
        "s",
        True,
        "A2",
    )
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_table(tmp_path / "t.csv") == [{"编号": "EX-1", "姓名": "'=1+2", "日期": "2025-01-06"}]
    assert read_table(tmp_path / "t.xlsx") == [{"编号": "EX-1", "姓名": "=1+2", "日期": "2025-01-06"}]


def test_datetimes_from_xlsx_are_read_as_iso_dates(tmp_path):
    write_xlsx(tmp_path / "d.xlsx", {"s": (["a", "b"], [[datetime(2025, 1, 6), 12.0]])})
    assert read_table(tmp_path / "d.xlsx") == [{"a": "2025-01-06", "b": "12"}]


FAMILY_USER = 8400001


def _persons_file(tmp_path: Path, fmt: str, moves: dict[str, str]) -> Path:
    """The example persons with some responsible workers changed, as CSV or XLSX."""
    rows = read_table(EXAMPLES / "persons.xlsx")
    for row in rows:
        row["责任网格员"] = moves.get(row["编号"], row["责任网格员"])
    headers = list(rows[0].keys())
    table = [[row[h] for h in headers] for row in rows]
    path = tmp_path / f"moved.{fmt}"
    if fmt == "csv":
        write_csv(path, headers, table)
    else:
        write_xlsx(path, {"persons": (headers, table)})
    return path


async def _examples_with_a_linked_mother(db, keys, now) -> int:
    """The example city; EX-P001's mother has joined the chat, EX-P002's father was invited but never
    joined. Returns the mother's family member id."""
    _import_examples(db, keys, now)
    mother = db.call(invite_family, "EX-P001", "母亲", actor=Actor.cli(), now=now)
    db.call(invite_family, "EX-P002", "父亲", actor=Actor.cli(), now=now)
    await CoreChat(build_core(db, FrozenClock(now)), FAMILY_USER).say(f"/start {mother.code}")
    with db.unit_of_work() as s:
        return s.scalar(select(FamilyMember.id).where(FamilyMember.telegram_user_id == FAMILY_USER))


def _reassigned_rows(db) -> list[OutboxMessage]:
    with db.unit_of_work() as s:
        query = select(OutboxMessage).where(OutboxMessage.purpose == "family_reassigned")
        return list(s.scalars(query.order_by(OutboxMessage.id)))


def test_an_import_reports_whose_responsible_worker_it_changed(db, keys, now, tmp_path):
    _import_examples(db, keys, now)
    result = _import(db, keys, now, "persons", _persons_file(tmp_path, "csv", {"EX-P001": "W-G2"}))
    with db.unit_of_work() as s:
        ids = dict(s.execute(select(Worker.code, Worker.id)).all())
        person = s.scalar(select(Person.id).where(Person.code == "EX-P001"))
    assert result.reassigned == (Reassigned(person, ids["W-G1"], ids["W-G2"]),)
    assert _import(db, keys, now, "persons", EXAMPLES / "persons.xlsx").reassigned == (
        Reassigned(person, ids["W-G2"], ids["W-G1"]),
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_reassigning_import_tells_the_linked_family_with_the_new_card(
    db, keys, now, tmp_path, monkeypatch, fmt
):
    mother_id = await _examples_with_a_linked_mother(db, keys, now)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    moved = _persons_file(tmp_path, fmt, {"EX-P001": "W-G2", "EX-P002": "W-G2"})
    out = " ".join(_cli("import", "persons", str(moved)).split())
    assert "2 person(s) have another responsible worker; 1 family member(s) told" in out
    card, contact = _reassigned_rows(db)  # EX-P002's father never joined: nothing for him
    assert (card.chat_id, contact.chat_id) == (FAMILY_USER, FAMILY_USER)
    assert "已更换" in card.payload["text"] and "网格员乙" in card.payload["text"]
    assert contact.payload == {
        "kind": "contact",
        "phone": "0000-0002",
        "first_name": "网格员乙",
        "last_name": None,
    }
    everything = str(card.payload) + str(contact.payload)
    assert "示例对象" not in everything and "EX-P0" not in everything and "网格员甲" not in everything
    with db.unit_of_work() as s:
        notified = s.execute(
            select(Person.code, AuditEntry.record_type, AuditEntry.detail)
            .join(Person, Person.id == AuditEntry.person_id)
            .where(AuditEntry.action == "notify")
        ).all()
        imported = s.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.action == "import", AuditEntry.record_type == "persons"
            )
        ).all()
    assert notified == [("EX-P001", "contact_card", f"family_member={mother_id}")]
    assert imported[-1].endswith("reassigned=2")


async def test_reimporting_the_same_assignment_tells_nobody_again(db, keys, now, tmp_path, monkeypatch):
    await _examples_with_a_linked_mother(db, keys, now)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    moved = _persons_file(tmp_path, "csv", {"EX-P001": "W-G2"})
    _cli("import", "persons", str(moved))
    assert "responsible worker" not in _cli("import", "persons", str(moved))
    assert len(_reassigned_rows(db)) == 2  # the first import's card and contact only


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output

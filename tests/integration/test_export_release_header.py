"""The person export heads the expected release from isolation 出所日期 (it said 解除日期, which reads
as the end of the programme); a file headed the old way still imports."""

from __future__ import annotations

from pathlib import Path

from models.audit import Actor
from models.services.spreadsheets.exporting import export_persons
from models.services.spreadsheets.importing import apply_import, plan_import
from models.services.spreadsheets.tables import read_table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _import_examples(db, keys, now) -> None:
    for kind, name in (("areas", "areas.csv"), ("workers", "workers.csv"), ("persons", "persons.xlsx")):
        with db.unit_of_work() as s:
            plan = plan_import(s, kind, read_table(EXAMPLES / name))
            assert plan.errors == []
            apply_import(s, plan, keys=keys, actor=Actor.cli(), now=now)


def test_the_export_heads_the_release_from_isolation_chu_suo_ri_qi(db, keys, now):
    _import_examples(db, keys, now)

    with db.unit_of_work() as s:
        headers, rows = export_persons(s, "EX-CITY", keys=keys, actor=Actor.cli(), now=now)

    assert "出所日期" in headers and "解除日期" not in headers
    released = [r[headers.index("出所日期")] for r in rows if r[headers.index("出所日期")]]
    assert released  # the examples have people released from isolation, and the column carries it


def test_a_file_headed_jie_chu_ri_qi_still_imports_the_release_date(db, keys, now):
    _import_examples(db, keys, now)
    rows = read_table(EXAMPLES / "persons.xlsx")
    old = [{("解除日期" if k == "出所日期" else k): v for k, v in row.items()} for row in rows]

    with db.unit_of_work() as s:
        current, headed_the_old_way = plan_import(s, "persons", rows), plan_import(s, "persons", old)

    assert headed_the_old_way.errors == [] and current.items == headed_the_old_way.items
    assert any("release_date" in str(item) for item in current.items)

"""Issue 17.10: an import refuses invisible characters in any cell and never prints a cell's value.

Reported: a name holding NUL crashed the PostgreSQL import mid-way; on SQLite it was stored, as
were ESC sequences and bidi overrides, and shown in buttons (a right-to-left override turns
"张三 P-001" around on screen). Now every cell is NFC-normalised with its whitespace folded, and
a cell with a control, format (bidi, zero-width) or surrogate character is a problem of its row
and column that names the character's code point, never the value. Both backends.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from models.audit import Actor
from models.people import Person
from models.services.spreadsheets.importing import apply_import, plan_import
from models.services.spreadsheets.tables import read_table
from tests.factories import TEST_KEYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEADER = "编号,姓名,网格编码,状态,风险等级,住址\n"
SECRET = "秘密名字"  # a name that must never reach the terminal


def _setup(db, monkeypatch) -> None:
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_LOCALE", "en")  # the English texts; 14.8 tests the Chinese (default)
    for kind in ("areas", "workers"):
        _gridcare(("import", kind, str(EXAMPLES / f"{kind}.csv")), expect=0)


def _gridcare(args, *, expect: int) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == expect, result.output
    return result.output


def _persons_file(tmp_path: Path, *names: str, address: str = "") -> Path:
    lines = [f"X-{n},{name},EX-G1,社区戒毒,红色,{address}\n" for n, name in enumerate(names, start=1)]
    path = tmp_path / "persons.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def test_nul_control_and_bidi_characters_are_problems_of_their_row_and_column_never_printed(
    db, tmp_path, monkeypatch
):
    _setup(db, monkeypatch)
    hostile = (f"{SECRET}\x00", f"\u202e{SECRET}", f"{SECRET}\x1b[31m", f"{SECRET}\u200b", f"{SECRET}\x7f")
    path = _persons_file(tmp_path, *hostile)
    for args in (("import", "persons", str(path)), ("--debug", "import", "persons", str(path))):
        out = _gridcare(args, expect=1)
        assert "nothing was written" in out
        for row, code_point in zip(
            range(2, 7), ("U+0000", "U+202E", "U+001B", "U+200B", "U+007F"), strict=True
        ):
            assert any(
                str(row) in line and "姓名" in line and code_point in line for line in out.splitlines()
            ), (
                row,
                out,
            )
        assert SECRET not in out and "\x00" not in out and "\x1b" not in out and "\u202e" not in out
    with db.unit_of_work() as s:
        assert s.scalars(select(Person.code)).all() == []


def test_a_refused_required_cell_is_said_once_not_also_as_missing(db):
    rows = read_table_text("编号,姓名,网格编码,状态,风险等级\nX-1,\x00,EX-G1,社区戒毒,红色\n")
    with db.unit_of_work() as s:
        plan = plan_import(s, "persons", rows)
    assert [(e.row, e.column) for e in plan.errors if e.column == "姓名"] == [(2, "姓名")]


def read_table_text(text: str) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text(text, encoding="utf-8")
        return read_table(path)


def test_whitespace_is_folded_and_names_are_stored_nfc(db, keys, now, monkeypatch):
    _setup(db, monkeypatch)
    decomposed = unicodedata.normalize("NFD", "Zoë")
    rows = read_table_text(
        HEADER
        + "X-1,\u3000张\t三 ,EX-G1,社区戒毒,红色,\n"
        + f'X-2,{decomposed},EX-G1,社区戒毒,红色,"一\n号"\n'
    )
    with db.unit_of_work() as s:
        plan = plan_import(s, "persons", rows)
        assert plan.errors == []
        apply_import(s, plan, keys=keys, actor=Actor.cli(), now=now)
    with db.unit_of_work() as s:
        names = {code: name for code, name in s.execute(select(Person.code, Person.name))}
    assert names == {"X-1": "张 三", "X-2": "Zoë"}
    assert unicodedata.is_normalized("NFC", names["X-2"])


def test_a_header_with_an_invisible_character_is_refused_without_echoing_it(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("编号,姓名\x1b]0;pwned\x07,网格编码\nX-1,a,EX-G1\n", encoding="utf-8")
    try:
        read_table(path)
    except ValueError as refused:
        assert "\x1b" not in str(refused) and "U+001B" in str(refused) and "column 2" in str(refused)
    else:
        raise AssertionError("the header was accepted")

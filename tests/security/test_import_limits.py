"""Issue 17.12: an import has bounds: rows read (GRIDCARE_IMPORT_MAX_ROWS) and problems printed.

Reported: a 765 KB XLSX with a mistake on every row printed 399,992 problems (2.5 min, 1 GB), and a
1M-row file ran out of time at 2.4 GB. Now the file is read as a stream and refused, unread further,
past the limit (100,000 rows by default); the first 50 problems are printed, then how many more.
Figures before and after: bench/imports.py. Both backends.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from models.services.spreadsheets.tables import TooManyRows, read_table
from tests.factories import TEST_KEYS

HEADER = "编号,姓名,网格编码,状态,风险等级\n"


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_LOCALE", "en")  # the English texts; 14.8 tests the Chinese (default)
    return tmp_path


def _import(path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["import", "persons", str(path)])
    return result.exit_code, result.output


def test_a_file_past_the_row_limit_is_refused_with_the_setting_named(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_IMPORT_MAX_ROWS", "50")
    path = env / "big.csv"
    path.write_text(
        HEADER + "".join(f"X-{n},名{n},NO-AREA,社区戒毒,红色\n" for n in range(51)), encoding="utf-8"
    )
    code, out = _import(path)
    assert code == 1
    assert "more than 50 data rows" in out and "GRIDCARE_IMPORT_MAX_ROWS" in out
    assert "problem" not in out, "refused before any row is checked"


def test_reading_stops_at_the_limit_the_rest_of_the_file_is_never_parsed(tmp_path):
    # Past the limit sits a field csv refuses (over its 131,072-character field limit): a reader
    # that parsed the whole file first would fail on it instead of stopping at the limit.
    path = tmp_path / "tail.csv"
    rows = "".join(f"X-{n},名{n},A,社区戒毒,红色\n" for n in range(20))
    path.write_text(HEADER + rows + "X-99," + "长" * 200_000 + ",A,社区戒毒,红色\n", encoding="utf-8")
    with pytest.raises(TooManyRows):
        read_table(path, max_rows=10)


def test_only_the_first_fifty_problems_are_printed_then_the_count(env):
    path = env / "bad.csv"
    path.write_text(
        HEADER + "".join(f"X-{n},名{n},NO-AREA,社区戒毒,红色\n" for n in range(120)), encoding="utf-8"
    )
    code, out = _import(path)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0] == "120 problem(s); nothing was written"
    assert len([line for line in lines if line.startswith("row ")]) == 50
    assert lines[-1].startswith("... and 70 more problem(s)")

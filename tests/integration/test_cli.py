"""The administrator's command line, run as a user would (typer's runner, a real SQLite file)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.factories import TEST_KEYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_LOCALE", "en")  # the English texts; 14.8 tests the Chinese (default)
    monkeypatch.delenv("GRIDCARE_BOT_TOKEN", raising=False)
    return tmp_path


def gridcare(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_import_examples_export_and_invite(env):
    gridcare("db", "upgrade")
    assert "current" in gridcare("db", "check")
    assert "11 created" in gridcare("import", "areas", str(EXAMPLES / "areas.csv"))
    assert "8 created" in gridcare("import", "workers", str(EXAMPLES / "workers.csv"))
    assert "12 created" in gridcare("import", "persons", str(EXAMPLES / "persons.xlsx"))
    assert "0 created, 12 updated" in gridcare("import", "persons", str(EXAMPLES / "persons.xlsx"))
    gridcare("export", "persons", "--area", "EX-CITY", "-o", str(env / "out.xlsx"))
    sheet = openpyxl.load_workbook(env / "out.xlsx").active
    assert sheet.max_row == 13
    out = gridcare("invite", "worker", "W-G1", "--bot", "gridcare_bot")
    assert "https://t.me/gridcare_bot?start=" in out


def test_a_bad_file_prints_every_problem_and_writes_nothing(env):
    gridcare("db", "upgrade")
    bad = env / "bad.csv"
    bad.write_text("code,name,level,parent\nBAD CODE,x,planet,\nok-1,,grid,\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "areas", str(bad)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output and "planet" in result.output
    assert "11 created" in gridcare("import", "areas", str(EXAMPLES / "areas.csv"))


def test_config_show_masks_secrets(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_BOT_TOKEN", "42:very-secret-token")
    out = gridcare("config", "show")
    assert "very-secret" not in out and "********" in out


def test_missing_key_in_production_is_a_clear_start_up_error(env, monkeypatch):
    monkeypatch.delenv("GRIDCARE_SECRET_KEY")
    monkeypatch.setenv("GRIDCARE_MODE", "production")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1 and "GRIDCARE_SECRET_KEY is not set" in result.output


def test_development_sqlite_gets_a_generated_key_beside_the_file(env, monkeypatch):
    monkeypatch.delenv("GRIDCARE_SECRET_KEY")
    gridcare("db", "upgrade")
    key_file = env / "cli.db.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_demo_data_builds_a_city(env):
    gridcare("db", "upgrade")
    out = gridcare("demo-data", "--persons", "300", "--seed", "3")
    assert "300 persons" in out

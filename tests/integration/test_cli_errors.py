"""Every error of the command line is one line with a documented exit code; --debug adds the traceback."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.factories import TEST_KEYS

runner = CliRunner()
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"  # port 1: nothing listens there


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A SQLite file that `gridcare db upgrade` never touched."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{tmp_path / 'never-upgraded.db'}")
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_LOCALE", "zh_CN")
    return tmp_path


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_an_unreachable_database_is_one_line_and_exit_code_3(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", UNREACHABLE)
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 3
    [line] = lines(result.output)
    assert "127.0.0.1:1" in line and "GRIDCARE_DATABASE_URL" in line


def test_upgrading_an_unreachable_database_is_one_line_too(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", UNREACHABLE)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 3
    assert len(lines(result.output)) == 1


def test_a_database_never_upgraded_says_to_run_db_upgrade_with_exit_code_4(env):
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 4
    [line] = lines(result.output)
    assert "数据库结构落后于程序" in line and "gridcare db upgrade" in line


def test_the_upgrade_hint_speaks_the_configured_locale(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_LOCALE", "en")
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 4
    assert "schema is behind the code" in result.output and "gridcare db upgrade" in result.output


def test_db_check_on_a_database_behind_exits_4_and_after_upgrade_0(env):
    assert runner.invoke(app, ["db", "check"]).exit_code == 4
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["outbox", "status"]).exit_code == 0


def test_a_schema_newer_than_the_code_says_so_with_exit_code_4(env):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(env / "never-upgraded.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    for command in (["db", "check"], ["db", "upgrade"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 4
        [line] = lines(result.output)
        assert "比程序" in line and "新" in line and "db upgrade" not in line


def test_debug_prints_the_traceback_then_the_same_line(env):
    result = runner.invoke(app, ["--debug", "outbox", "status"])
    assert result.exit_code == 4
    assert "Traceback (most recent call last)" in result.output and "no such table" in result.output
    assert "gridcare db upgrade" in lines(result.output)[-1]


def test_a_bad_setting_is_one_line_with_exit_code_1(env, monkeypatch):
    monkeypatch.setenv("GRIDCARE_LOCALE", "klingon")
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 1
    [line] = lines(result.output)
    assert "GRIDCARE_LOCALE" in line


def test_a_bug_is_one_line_asking_for_debug_with_exit_code_5(env, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    runner.invoke(app, ["db", "upgrade"])
    monkeypatch.setattr("bot.cli.ops.queue_state", broken)
    result = runner.invoke(app, ["outbox", "status"])
    assert result.exit_code == 5
    [line] = lines(result.output)
    assert "RuntimeError: boom" in line and "--debug" in line


def test_a_mistyped_option_is_a_usage_error_with_exit_code_2_not_a_bug(env):
    result = runner.invoke(app, ["outbox", "status", "--no-such-option"])
    assert result.exit_code == 2
    assert "--no-such-option" in result.output and "--debug" not in result.output

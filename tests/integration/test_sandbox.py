"""The sandbox as a trainer uses it: scripts played through `gridcare sandbox --script`, on a set day."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

TOUR = Path(__file__).resolve().parents[2] / "examples" / "sandbox-tour.txt"
runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A working folder, a private temporary folder, and a clock at 10:01 on a working Tuesday."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("GRIDCARE_CLOCK_START", "2026-03-10T10:01:00+08:00")
    monkeypatch.delenv("GRIDCARE_BOT_TOKEN", raising=False)
    return tmp_path


def sandbox(env: Path, script: str, *, persons: int = 20):  # type: ignore[no-untyped-def]
    path = env / "script.txt"
    path.write_text(script, encoding="utf-8")
    return runner.invoke(app, ["sandbox", "--script", str(path), "--persons", str(persons)])


def test_the_tour_plays_to_the_end_and_leaves_no_temporary_folder(env):
    result = runner.invoke(app, ["sandbox", "--script", str(TOUR), "--persons", "60"])
    assert result.exit_code == 0, result.output
    assert "(pushed)" in result.output  # the relay the worker got from the family
    assert not list((env / "tmp").iterdir())


def test_a_file_sent_to_the_persona_is_saved_and_shown(env):
    result = sandbox(env, "as supervisor\n/export month\n")
    assert result.exit_code == 0, result.output
    [saved] = (env / "sandbox-files").iterdir()
    assert saved.suffix == ".xlsx" and saved.stat().st_size > 0
    assert f"saved as sandbox-files/{saved.name}" in result.output


def test_a_message_pushed_to_the_persona_shows_as_pushed_and_its_button_can_be_pressed(env):
    consent = "你好\nexpect: 隐私告知\n#1\n"  # the relative agrees to the privacy notice first
    reply = "as worker\nexpect: 情绪不太好\n#1\nexpect: 请输入回复\n"
    script = f"as family\n{consent}孩子这几天情绪不太好。\n{reply}"
    result = sandbox(env, script)
    assert result.exit_code == 0, result.output
    pushed = result.output.index("bot (pushed) < 💬")
    assert pushed < result.output.index("worker presses #1")


def test_a_failing_expect_ends_the_run_with_its_line_and_exit_code_1(env):
    result = sandbox(env, "as worker\n/help\nexpect: 没有这句话\n")
    assert result.exit_code == 1
    assert "script.txt:3: expected '没有这句话'" in result.output
    assert not list((env / "tmp").iterdir())


def test_pressing_a_button_nobody_can_see_fails_the_run(env):
    result = sandbox(env, "as stranger\n/start\n#1\n")
    assert result.exit_code == 1
    assert "script.txt:3: no button #1" in result.output


# The case's life (issue 14 §1): each script with the city size its first line names.
CASE_SCRIPTS = (
    ("sandbox-status-change.txt", 60),
    ("sandbox-discharge.txt", 60),
    ("sandbox-transfer.txt", 200),
)


@pytest.mark.parametrize(("script", "persons"), CASE_SCRIPTS)
def test_the_case_life_scripts_play_to_the_end(env, script, persons):
    path = TOUR.parent / script
    assert f"--persons {persons}" in path.read_text(encoding="utf-8").splitlines()[0]
    result = runner.invoke(app, ["sandbox", "--script", str(path), "--persons", str(persons)])
    assert result.exit_code == 0, result.output
    assert "已生效" in result.output

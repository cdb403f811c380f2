"""`gridcare sweep`: the obligation sweep by hand on a small demo city (typer's runner, SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from models.outbox import OutboxMessage
from models.people import Worker
from models.workdays import WorkCalendar
from tests.factories import TEST_KEYS

runner = CliRunner()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo city of 60 people whose workers all have Telegram accounts (built once)."""
    path = tmp_path_factory.mktemp("sweep") / "city.db"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{path}")
        env.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
        _ok("db", "upgrade")
        _ok("demo-data", "--persons", "60", "--seed", "3")
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work() as session:
        session.execute(update(Worker).values(telegram_user_id=Worker.id + 50_000))
    db.dispose()
    return path


@pytest.fixture
def env(city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "city.db"
    copy.write_bytes(city.read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    return copy


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _queued(path: Path) -> int:
    db = Database(f"sqlite:///{path}")
    try:
        with db.unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    finally:
        db.dispose()


def _next_working_day() -> str:
    day = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    calendar = WorkCalendar()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day.isoformat()


def test_a_dry_run_prints_what_it_would_queue_and_queues_nothing(env: Path) -> None:
    out = _ok("sweep", "--dry-run", "--date", _next_working_day(), "--limit", "5")
    assert "would queue" in out and "morning" in out and "dry run: nothing was queued" in out
    assert "morning:" in out  # the table lists the messages with their keys
    assert _queued(env) == 0


def test_a_sweep_then_another_queues_nothing_new(env: Path) -> None:
    _ok("sweep", "--limit", "0")
    first = _queued(env)
    out = _ok("sweep")
    assert "queued: nothing new" in out
    assert _queued(env) == first


def test_a_sweep_of_one_area_leaves_the_others_alone(env: Path) -> None:
    day = _next_working_day()
    whole = _ok("sweep", "--dry-run", "--date", day, "--limit", "0")
    grid = _ok("sweep", "--dry-run", "--date", day, "--limit", "0", "--area", "DEMO-C01-T01-S01-G01")
    assert whole != grid


def test_bad_options_are_refused_with_a_reason(env: Path) -> None:
    result = runner.invoke(app, ["sweep", "--date", "2020-01-06"])
    assert result.exit_code == 1 and "--dry-run" in result.output
    result = runner.invoke(app, ["sweep", "--dry-run", "--area", "NOWHERE"])
    assert result.exit_code == 1 and "no area" in result.output

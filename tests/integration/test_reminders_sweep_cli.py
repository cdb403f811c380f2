"""`gridcare sweep`: the obligation sweep by hand on a small demo city (typer's runner, SQLite).

The clock is set through GRIDCARE_CLOCK_START, so the city, its records and the sweep are the same
on whatever day the suite runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from models.areas import Area
from models.outbox import OutboxMessage
from models.people import Role, Worker
from tests.factories import TEST_KEYS

runner = CliRunner()
NOW = "2027-03-15T01:30:00+00:00"  # a Monday, 09:30 in Shanghai
TOMORROW = "2027-03-16"
GRID = "DEMO-C01-T01-S01-G01"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo city of 150 people in several grids whose workers all have Telegram accounts (built once)."""
    path = tmp_path_factory.mktemp("sweep") / "city.db"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{path}")
        env.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
        env.setenv("GRIDCARE_CLOCK_START", NOW)
        _ok("db", "upgrade")
        _ok("demo-data", "--persons", "150", "--seed", "3")
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
    monkeypatch.setenv("GRIDCARE_CLOCK_START", NOW)
    return copy


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _queued(path: Path) -> list[tuple[str, int, str]]:
    """(purpose, chat, dedupe key) of every queued message."""
    db = Database(f"sqlite:///{path}")
    try:
        with db.unit_of_work() as session:
            columns = (OutboxMessage.purpose, OutboxMessage.chat_id, OutboxMessage.dedupe_key)
            rows = session.execute(select(*columns))
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        db.dispose()


def _worker_chats(path: Path, *, area_code: str | None = None) -> set[int]:
    """The Telegram chats of the grid workers, all or one grid's."""
    db = Database(f"sqlite:///{path}")
    try:
        with db.unit_of_work() as session:
            query = select(Worker.telegram_user_id).where(Worker.role == Role.grid_worker)
            if area_code is not None:
                query = query.join(Area, Area.id == Worker.area_id).where(Area.code == area_code)
            return {chat for chat in session.scalars(query) if chat is not None}
    finally:
        db.dispose()


def test_a_dry_run_prints_what_it_would_queue_and_queues_nothing(env: Path) -> None:
    out = _ok("sweep", "--dry-run", "--date", TOMORROW, "--limit", "5")
    assert "would queue" in out and "morning" in out and "dry run: nothing was queued" in out
    assert "morning:" in out  # the table lists the messages with their keys
    assert _queued(env) == []


def test_a_sweep_then_another_queues_nothing_new(env: Path) -> None:
    _ok("sweep", "--limit", "0")
    first = _queued(env)
    out = _ok("sweep")
    assert first and "queued: nothing new" in out
    assert _queued(env) == first


def test_a_sweep_of_one_grid_reaches_that_grids_workers_and_no_other(env: Path, tmp_path: Path) -> None:
    city_copy = tmp_path / "whole.db"
    city_copy.write_bytes(env.read_bytes())
    _ok("sweep", "--limit", "0", "--area", GRID)
    grid = _queued(env)
    with pytest.MonkeyPatch.context() as other:
        other.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{city_copy}")
        _ok("sweep", "--limit", "0")
    whole = _queued(city_copy)

    all_workers, grid_workers = _worker_chats(env), _worker_chats(env, area_code=GRID)
    assert len(grid_workers) < len(all_workers)
    mornings = lambda rows: {chat for purpose, chat, _ in rows if purpose == "morning"}  # noqa: E731
    assert mornings(grid) == grid_workers  # each of the grid's workers, and nobody else
    assert mornings(whole) == all_workers
    to_workers = {row for row in grid if row[1] in all_workers}
    assert {chat for _, chat, _ in to_workers} <= grid_workers
    assert to_workers <= set(whole)  # the same messages a whole-city sweep sends those workers
    assert len(grid) < len(whole)


def test_bad_options_are_refused_with_a_reason(env: Path) -> None:
    result = runner.invoke(app, ["sweep", "--date", "2020-01-06"])
    assert result.exit_code == 1 and "--dry-run" in result.output
    result = runner.invoke(app, ["sweep", "--dry-run", "--area", "NOWHERE"])
    assert result.exit_code == 1 and "no area" in result.output

"""`gridcare outbox status` and `gridcare outbox retry-dead`, run as an administrator would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import app
from models.outbox import OutboxMessage, OutboxStatus
from tests.factories import TEST_KEYS
from tests.support.outbox import queue, rows

runner = CliRunner()
NOW = datetime(2027, 6, 26, 2, 0, tzinfo=UTC)  # the CLI's clock, set through GRIDCARE_CLOCK_START


@pytest.fixture
def env(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db_url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("GRIDCARE_CLOCK_START", NOW.isoformat())


def gridcare(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def set_status(db, key: str, status: OutboxStatus, **values) -> None:
    with db.unit_of_work() as s:
        s.execute(
            update(OutboxMessage).where(OutboxMessage.dedupe_key == key).values(status=status, **values)
        )


def line(output: str, label: str) -> list[str]:
    """The cells of the table row that starts with `label`."""
    for text in output.splitlines():
        cells = [c.strip() for c in text.strip("│┃ ").split("│")]
        if cells and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in\n{output}")


def test_status_counts_each_state_and_shows_the_oldest_pending_age(env, db):
    three_hours_ago = NOW - timedelta(hours=3)
    queue(db, [1, 2, 3, 4, 5], now=three_hours_ago)
    queue(db, [6], now=three_hours_ago, purpose="alert", urgent=True)
    set_status(db, "m-2-0", OutboxStatus.sent)
    set_status(db, "m-3-0", OutboxStatus.dead, last_error="unreachable: Forbidden")
    set_status(db, "m-4-0", OutboxStatus.pending, last_error="500 Internal Server Error")
    out = gridcare("outbox", "status")
    assert line(out, "queued") == ["3"] and line(out, "retrying") == ["1"]
    assert line(out, "sent") == ["1"] and line(out, "dead") == ["1"] and line(out, "sending") == ["0"]
    assert line(out, "oldest pending") == ["3 h"]
    assert line(out, "reminder") == ["2", "1", "0", "1", "1"] and line(out, "alert") == [
        "1",
        "0",
        "0",
        "0",
        "0",
    ]


def test_retry_dead_puts_dead_messages_back_in_the_queue(env, db):
    queue(db, [1, 2], now=NOW)
    set_status(db, "m-1-0", OutboxStatus.dead, last_error="gave up after 8 attempts: 502", attempts=8)
    assert "1 dead message(s) queued again" in gridcare("outbox", "retry-dead")
    row = rows(db)["m-1-0"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    assert line(gridcare("outbox", "status"), "dead") == ["0"]

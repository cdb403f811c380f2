"""Migrations that copy data, on both backends: a database at 0020 with rows is upgraded and
- 0021: each reviewed record carries its latest review's (by id) time and verdict; a record never
  reviewed carries none;
- 0022: each obligation stamp carries the earliest due date of its person's items not done; a
  person whose items are all done has none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.common import scratch_postgres
from bot.migrate import upgrade
from tests.conftest import BACKENDS, PG_URL

_ROWS = """
INSERT INTO areas (id, code, name, level, path) VALUES (1, 'A', 'A', 'grid', '/1/');
INSERT INTO workers (id, code, name, role, area_id, active) VALUES (1, 'W', 'W', 'grid_worker', 1, true);
INSERT INTO persons (id, code, name, initials, area_id, status, colour, created_at, updated_at)
    VALUES (1, 'P', 'P', 'P', 1, 'community_detox', 'blue', :t, :t);
INSERT INTO records
    (id, person_id, kind, occurred_at, details, author_id, created_at, updated_at, late, voided)
    VALUES (1, 1, 'visit', :t, '{}', 1, :t, :t, false, false),
           (2, 1, 'visit', :t, '{}', 1, :t, :t, false, false),
           (3, 1, 'visit', :t, '{}', 1, :t, :t, false, false);
INSERT INTO reviews (id, record_id, reviewer_id, verdict, created_at) VALUES
    (1, 1, 1, 'has_errors', '2026-03-02 08:00:00'),
    (2, 1, 1, 'correct', '2026-03-01 08:00:00'),
    (3, 2, 1, 'has_errors', '2026-03-03 09:30:00');
INSERT INTO persons (id, code, name, initials, area_id, status, colour, created_at, updated_at)
    VALUES (2, 'Q', 'Q', 'Q', 1, 'community_detox', 'blue', :t, :t);
INSERT INTO obligation_items
    (person_id, obligation, period_start, period_end, due_date, required, done, colour) VALUES
    (1, 'meeting', '2026-02-23', '2026-03-01', '2026-03-02', 1, 1, 'blue'),
    (1, 'meeting', '2026-03-02', '2026-03-08', '2026-03-09', 1, 0, 'blue'),
    (1, 'drug_test', '2026-03-01', '2026-03-31', '2026-03-31', 1, 0, 'blue'),
    (2, 'meeting', '2026-03-02', '2026-03-08', '2026-03-09', 1, 1, 'blue');
INSERT INTO obligation_stamps (person_id, computed_for, valid_until, basis) VALUES
    (1, '2026-03-04', '2026-03-09', 'b'),
    (2, '2026-03-04', '2026-03-09', 'b');
"""


@pytest.fixture(params=BACKENDS)
def url_at_0020(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database migrated to 0020 only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'at0020.db'}"
        upgrade(url, "0020")
        yield url
        return
    assert PG_URL
    with scratch_postgres(PG_URL, "0020") as url:
        yield url


def test_reviews_and_open_items_are_copied_to_what_keeps_them(url_at_0020: str) -> None:
    engine = create_engine(url_at_0020.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            for statement in filter(str.strip, _ROWS.split(";")):
                conn.execute(text(statement), {"t": "2026-03-01 00:00:00"})
        upgrade(url_at_0020)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, reviewed_at, review_verdict FROM records ORDER BY id")).all()
            stamps = conn.execute(
                text("SELECT person_id, first_open_due FROM obligation_stamps ORDER BY 1")
            ).all()
    finally:
        engine.dispose()
    kept = [(record_id, str(at)[:16] if at else None, verdict) for record_id, at, verdict in rows]
    # Record 1: its latest review by id (2) was stamped earlier than review 1: the latest by id counts.
    assert kept == [
        (1, "2026-03-01 08:00", "correct"),
        (2, "2026-03-03 09:30", "has_errors"),
        (3, None, None),
    ]
    assert [(person, str(first) if first else None) for person, first in stamps] == [
        (1, "2026-03-09"),
        (2, None),
    ]

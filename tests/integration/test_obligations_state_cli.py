"""The kept obligation state from the command line: `gridcare obligations verify|rebuild`, and the
bulk writers (demo data, imports) that leave it worked out (the night job: test_obligations_night).

Real databases (SQLite and PostgreSQL) and the real command line (typer's runner); the state is
tampered with by a plain Core UPDATE, as a bug or a hand would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from models.audit import AuditEntry
from models.obligation_state import ObligationItem, ObligationStamp
from models.people import ACTIVE_STATUSES, Person
from models.records import Record, RecordKind
from models.services.obligations.state import at_day
from tests.factories import TEST_KEYS
from tests.integration.reminders_city import City, at, build_city

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WEDNESDAY = date(2026, 3, 4)
runner = CliRunner()
Run = Callable[..., str]


@pytest.fixture
def gridcare(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """`gridcare …` on the test's database, its clock started on Wednesday 4 March 2026, 10:00."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_CLOCK_START", at(WEDNESDAY, time(10)).isoformat())
    for name in ("GRIDCARE_TIMEZONE", "GRIDCARE_RULES_FILE", "GRIDCARE_MODE", "GRIDCARE_LOCALE"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return " ".join(result.output.split())  # rich wraps long lines

    return run


def file_meeting(city: City, person: Person, when: datetime, today: date = WEDNESDAY) -> None:
    """A meeting filed as the bot files it: in a unit of work that knows its day (`today`)."""
    with city.db.unit_of_work() as session:
        at_day(session, today, city.policy)
        session.add(
            Record(
                person_id=person.id,
                kind=RecordKind.visit,
                subkind="home",
                occurred_at=when,
                author_id=city.worker.id,
                created_at=when,
                updated_at=when,
            )
        )


def kept(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every kept item and stamp, in order."""
    with db.unit_of_work() as session:
        items = session.execute(
            select(ObligationItem.__table__).order_by(
                ObligationItem.person_id, ObligationItem.obligation, ObligationItem.period_start
            )
        ).all()
        stamps = session.execute(select(ObligationStamp.__table__).order_by(ObligationStamp.person_id)).all()
    return [tuple(r) for r in items], [tuple(r) for r in stamps]


def tamper(db: Database, person: Person) -> None:
    """A meeting counted that nobody filed, behind the services' back."""
    with db.unit_of_work() as session:
        session.execute(
            update(ObligationItem)
            .where(ObligationItem.person_id == person.id, ObligationItem.obligation == "meeting")
            .values(done=ObligationItem.done + 5)
        )


def two_cities(db: Database) -> tuple[City, City, list[Person]]:
    """Two persons in T's grid, one in U's, each with a meeting filed on Tuesday 3 March."""
    t, u = build_city(db, prefix="T"), build_city(db, prefix="U")
    cities = (t, t, u)
    people = [city.person(created=at(date(2026, 2, 1))) for city in cities]
    for city, person in zip(cities, people, strict=True):
        file_meeting(city, person, at(date(2026, 3, 3)))
    return t, u, people


# -- verify and rebuild --------------------------------------------------------------------------


def test_verify_is_clean_after_filing_and_finds_a_tampered_count_in_its_area_only(
    db: Database, gridcare: Run
) -> None:
    _, _, (p1, p2, q1) = two_cities(db)
    out = gridcare("obligations", "verify")
    assert "checked 3 persons, 0 differences" in out and "no items kept" not in out
    tamper(db, p1)
    out = gridcare("obligations", "verify", code=1)
    assert "checked 3 persons, 1 differences" in out
    assert p1.code in out and "meeting" in out and "6/1" in out and "1/1" in out
    assert p2.code not in out and q1.code not in out
    assert p1.name not in out  # codes and counts, nothing personal
    # --area narrows the check to a subtree
    assert "checked 1 persons, 0 differences" in gridcare("obligations", "verify", "--area", "U-CITY")
    assert p1.code in gridcare("obligations", "verify", "--area", "T-G1", code=1)
    assert "no area with code NOPE" in gridcare("obligations", "verify", "--area", "NOPE", code=1)
    assert "--on must be YYYY-MM-DD" in gridcare("obligations", "verify", "--on", "4 March", code=1)
    # the read is audited: the run, and the person whose state was shown
    with db.unit_of_work() as session:
        audited = session.scalars(select(AuditEntry.person_id).where(AuditEntry.action == "verify")).all()
    assert p1.id in audited and p2.id not in audited and None in audited


def test_rebuild_repairs_what_verify_found_and_a_second_rebuild_changes_nothing(
    db: Database, gridcare: Run
) -> None:
    _, _, (p1, _, _) = two_cities(db)
    before = kept(db)
    tamper(db, p1)
    gridcare("obligations", "verify", code=1)
    assert "worked out the obligations of 3 persons for 2026-03-04" in gridcare("obligations", "rebuild")
    assert "checked 3 persons, 0 differences" in gridcare("obligations", "verify")
    assert kept(db) == before
    gridcare("obligations", "rebuild")
    assert kept(db) == before
    assert "of 2 persons" in gridcare("obligations", "rebuild", "--area", "T-CITY")
    assert kept(db) == before
    with db.unit_of_work() as session:
        details = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "rebuild")).all()
    assert details == ["n=3", "n=3", "n=2"]


def test_rebuild_works_out_persons_never_worked_out_that_verify_does_not_compare(
    db: Database, gridcare: Run
) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))  # written without a day: no stamp
    out = gridcare("obligations", "verify")
    assert "checked 1 persons, 0 differences" in out and "1 of them have no items kept" in out
    gridcare("obligations", "rebuild")
    out = gridcare("obligations", "verify")
    assert "checked 1 persons, 0 differences" in out and "no items kept" not in out
    with db.unit_of_work() as session:
        stamp = session.get(ObligationStamp, person.id)
        assert stamp is not None and stamp.computed_for == WEDNESDAY


# -- bulk writers leave everybody worked out -----------------------------------------------------


def _without_stamp(db: Database) -> tuple[int, int]:
    """(active persons, of them without a stamp for today)."""
    with db.unit_of_work() as session:
        active = session.scalar(
            select(func.count()).select_from(Person).where(Person.status.in_(ACTIVE_STATUSES))
        )
        missing = session.scalar(
            select(func.count())
            .select_from(Person)
            .outerjoin(ObligationStamp, ObligationStamp.person_id == Person.id)
            .where(
                Person.status.in_(ACTIVE_STATUSES),
                (ObligationStamp.person_id.is_(None)) | (ObligationStamp.computed_for != WEDNESDAY),
            )
        )
    return active or 0, missing or 0


def test_demo_data_leaves_every_active_person_worked_out(db: Database, gridcare: Run) -> None:
    out = gridcare("demo-data", "--persons", "120", "--seed", "3")
    assert "120 persons" in out
    active, missing = _without_stamp(db)
    assert active > 0 and missing == 0
    assert "0 differences" in gridcare("obligations", "verify")


def test_an_import_of_persons_leaves_them_worked_out(db: Database, gridcare: Run) -> None:
    gridcare("import", "areas", str(EXAMPLES / "areas.csv"))
    gridcare("import", "workers", str(EXAMPLES / "workers.csv"))
    gridcare("import", "persons", str(EXAMPLES / "persons.xlsx"))
    active, missing = _without_stamp(db)
    assert active > 0 and missing == 0
    out = gridcare("obligations", "verify")
    assert "checked 12 persons, 0 differences" in out
    # closed cases are worked out when their card is read, not in bulk
    assert f"{12 - active} of them have no items kept" in out

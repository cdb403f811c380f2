"""Per-person rules (Person.schedule_override) through the set-based obligations, "why" and the CLI.

The locality's rules hold everybody; a person's own rules replace those of the obligations they
name. Persons with own rules are evaluated with their own rule set (one statement per distinct
set) and merged; an override that does not parse falls back to the locality's rules, is logged by
id only, and the CLI and "why is this due?" say so.
"""

from __future__ import annotations

import logging
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from handlers.reminders.jobs import escalate
from models.access import Principal
from models.audit import AuditEntry
from models.people import Person
from models.services.identity import Identity
from models.services.obligations.due import ObligationRow, obligation_rows, person_obligations
from models.services.reminders.why import explain
from tests.factories import TEST_KEYS
from tests.integration.reminders_city import City, at, build_city

TWICE_A_WEEK = '[[rule]]\nobligation = "meeting"\nunit = "week"\ntimes = 2\n'
INVALID = '[[rule]]\nobligation = "meeting"\nunit = "fortnight"\n'
TUESDAY = date(2026, 3, 10)
runner = CliRunner()


def _set_override(city: City, person: Person, text: str | None) -> None:
    with city.db.unit_of_work() as session:
        session.get(Person, person.id).schedule_override = text


def _two_people(city: City, override: str) -> tuple[Person, Person]:
    """Two blue people (one meeting a week by default), the second with `override`; both with
    February's work done, two meetings in the week of 23 February and one in the week of 2 March."""
    usual, own = city.person(created=at(date(2026, 2, 1))), city.person(created=at(date(2026, 2, 1)))
    for person in (usual, own):
        city.all_done_before(person, date(2026, 3, 2))
        city.meet(person, at(date(2026, 3, 3)))
    _set_override(city, own, override)
    return usual, own


def _meetings(rows: list[ObligationRow], person: Person) -> list[tuple[date, str, int, int, int]]:
    return [
        (r.period_start, str(r.state), r.done, r.required, r.days_overdue)
        for r in rows
        if r.person_id == person.id and r.obligation == "meeting"
    ]


def _as_rows(city: City, person: Person, today: date) -> list[ObligationRow]:
    """The pure rules' items of one person, as rows (the specification)."""
    with city.db.unit_of_work() as session:
        items = person_obligations(session, person.id, today, city.policy)
    rows = []
    for i in items:
        state, late = i.state, i.days_overdue(today)
        rows.append(
            ObligationRow(
                person.id,
                person.code,
                city.grid.id,
                city.worker.id,
                i.colour,
                i.obligation,
                i.period_start,
                i.period_end,
                i.due_date,
                i.required,
                i.done,
                state,
                late,
            )
        )
    return rows


def test_own_rules_of_two_meetings_a_week_make_the_week_with_one_overdue(db: Database) -> None:
    city = build_city(db)
    usual, own = _two_people(city, TWICE_A_WEEK)
    with db.unit_of_work() as session:
        rows = obligation_rows(session, today=TUESDAY, policy=city.policy)
    # The week of 2 March (due Monday 9 March): one meeting is enough for one, half of it for the other.
    assert _meetings(rows, usual) == [(date(2026, 3, 9), "due", 0, 1, 0)]
    assert _meetings(rows, own) == [
        (date(2026, 3, 2), "overdue", 1, 2, 1),
        (date(2026, 3, 9), "due", 0, 2, 0),
    ]
    for person in (usual, own):
        assert [r for r in rows if r.person_id == person.id] == _as_rows(city, person, TUESDAY)
    # the ladder's first rung tells the worker about the one with own rules only
    assert city.run(escalate, at(TUESDAY)) == 1
    [message] = [m for k, m in city.outbox().items() if k.startswith("overdue:worker:")]
    assert own.code in message.payload["text"] and usual.code not in message.payload["text"]


def test_own_rules_leave_the_obligations_they_do_not_name_to_the_locality(db: Database) -> None:
    city = build_city(db)
    usual, own = _two_people(city, TWICE_A_WEEK)
    with db.unit_of_work() as session:
        rows = obligation_rows(session, today=TUESDAY, policy=city.policy)

    def others(person: Person) -> list[tuple[str, date, int]]:
        found = [(str(r.obligation), r.period_start, r.required) for r in rows if r.person_id == person.id]
        return [item for item in found if item[0] != "meeting"]

    assert others(own) == others(usual) and others(own)  # March's tests, education, ... alike


def test_an_invalid_override_falls_back_to_the_local_rules_logged_by_id(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    city = build_city(db)
    usual, broken = _two_people(city, INVALID)
    caplog.set_level(logging.WARNING, logger="gridcare.obligations")
    with db.unit_of_work() as session:
        rows = obligation_rows(session, today=TUESDAY, policy=city.policy)
    assert _meetings(rows, broken) == _meetings(rows, usual) == [(date(2026, 3, 9), "due", 0, 1, 0)]
    assert [r for r in rows if r.person_id == broken.id] == _as_rows(city, broken, TUESDAY)
    logged = caplog.text
    assert "schedule_override_invalid" in logged and str(broken.id) in logged
    assert broken.code not in logged and broken.name not in logged and "fortnight" not in logged


def _why(city: City, person: Person) -> object:
    who = Identity(Principal.grid_worker, city.worker.telegram_user_id or 0, worker_id=city.worker.id)
    with city.db.unit_of_work() as session:
        return explain(
            session, person.id, "meeting", None, who=who, now=at(TUESDAY), today=TUESDAY, policy=city.policy
        )


def test_why_says_whether_own_rules_are_in_force_or_ignored(db: Database) -> None:
    city = build_city(db)
    usual, own = _two_people(city, TWICE_A_WEEK)
    broken = city.person(created=at(date(2026, 2, 1)))
    _set_override(city, broken, INVALID)
    texts = {}
    for person in (usual, own, broken):
        why = _why(city, person)
        texts[person.id] = city.renderer.render("en", "reminders/why", why=why)
    assert "rules of their own" in texts[own.id] and "2 × meeting every week" in texts[own.id]
    assert "invalid and ignored" in texts[broken.id]
    assert "own" not in texts[usual.id] and "invalid" not in texts[usual.id]


# -- gridcare person rules -------------------------------------------------------------------------


@pytest.fixture
def gridcare(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return " ".join(result.output.split())  # rich wraps long lines

    return run


def _audits(db: Database, person: Person, action: str) -> list[str | None]:
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.person_id == person.id, AuditEntry.action == action
                )
            )
        )


def test_the_cli_sets_validated_own_rules_and_audits_it(db: Database, gridcare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    rules = tmp_path / "rules.toml"
    rules.write_text(TWICE_A_WEEK, encoding="utf-8")
    out = gridcare("person", "rules", person.code, "--file", str(rules))
    assert "saved" in out and "own rules in force" in out
    with db.unit_of_work() as session:
        assert session.get(Person, person.id).schedule_override == TWICE_A_WEEK
    assert _audits(db, person, "update") == ["schedule_override"]
    shown = gridcare("person", "rules", person.code)
    assert "meeting" in shown and "own" in shown
    assert _audits(db, person, "read") == ["schedule_rules"]
    gridcare("person", "rules", person.code, "--clear")
    with db.unit_of_work() as session:
        assert session.get(Person, person.id).schedule_override is None


def test_the_cli_refuses_invalid_rules_and_changes_nothing(db: Database, gridcare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    rules = tmp_path / "rules.toml"
    rules.write_text(INVALID, encoding="utf-8")
    out = gridcare("person", "rules", person.code, "--file", str(rules), code=1)
    assert "fortnight" in out and "nothing was changed" in out
    with db.unit_of_work() as session:
        assert session.get(Person, person.id).schedule_override is None
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "update"))
            == 0
        )
    gridcare("person", "rules", "NO-SUCH-CODE", "--file", str(rules), code=1)


def test_the_cli_says_when_stored_own_rules_are_invalid(db: Database, gridcare) -> None:  # type: ignore[no-untyped-def]
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    _set_override(city, person, INVALID)
    out = gridcare("person", "rules", person.code)
    assert "invalid and ignored" in out and "local rules apply" in out and "fortnight" in out


def test_a_sweep_is_not_broken_by_an_invalid_override(db: Database) -> None:
    city = build_city(db)
    _two_people(city, INVALID)
    city.run(escalate, at(TUESDAY, time(9)))  # nothing overdue for either under the local rules
    assert [k for k in city.outbox() if k.startswith("overdue:")] == []

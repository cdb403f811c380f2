"""The demo city: fake, deterministic, consistent, sealed, and written in bulk."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from bot.db import Database
from bot.demo import DemoSummary, generate_demo_city
from bot.demo.names import is_valid_id_number
from models.areas import Area, AreaLevel
from models.audit import AuditEntry
from models.crypto import Slot
from models.people import (
    ACTIVE_STATUSES,
    CareAssignment,
    CaseRole,
    Colour,
    ColourChange,
    FamilyMember,
    Person,
    Role,
    Status,
    Worker,
)
from models.records import FACE_TO_FACE, Record, RecordKind
from models.records import TestResult as DrugTestResult  # aliased so pytest does not try to collect it
from tests.factories import make_person, make_tree

PERSONS = 450  # two communities


def _generate(db: Database, keys, now, *, seed: int = 7, **options) -> DemoSummary:
    with db.unit_of_work() as s:
        return generate_demo_city(s, persons=PERSONS, seed=seed, keys=keys, now=now, **options)


def _count(db: Database, model) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_summary_matches_the_database_and_one_audit_entry_is_written(db, keys, now):
    done: list[int] = []
    summary = _generate(db, keys, now, progress=done.append)
    assert summary.city_code == "DEMO"
    assert (summary.persons, summary.areas, summary.workers) == (
        PERSONS,
        _count(db, Area),
        _count(db, Worker),
    )
    assert _count(db, Person) == PERSONS
    assert summary.records == _count(db, Record) > 10 * PERSONS
    assert summary.families == _count(db, FamilyMember) > 0
    assert done and done[-1] == PERSONS
    with db.unit_of_work() as s:
        entries = s.execute(select(AuditEntry.action, AuditEntry.record_type, AuditEntry.detail)).all()
    assert entries == [("demo-data", "persons", f"n={PERSONS}")]


def _snapshot(db: Database, keys) -> tuple[Counter, Counter]:
    with db.unit_of_work() as s:
        persons = Counter(
            (code, name, colour, status, start, grid, keys.open(sealed, Slot("persons", "id_number", pid)))
            for pid, code, name, colour, status, start, grid, sealed in s.execute(
                select(
                    Person.id,
                    Person.code,
                    Person.name,
                    Person.colour,
                    Person.status,
                    Person.programme_start,
                    Area.code,
                    Person.id_number_enc,
                ).join(Area, Area.id == Person.area_id)
            )
        )
        records = Counter(
            s.execute(
                select(Person.code, Record.kind, Record.subkind, Record.result, Record.occurred_at).join(
                    Person, Person.id == Record.person_id
                )
            ).all()
        )
    return persons, records


def test_the_same_seed_gives_the_same_city_and_another_seed_another(db, keys, now, sqlite_template, tmp_path):
    _generate(db, keys, now, seed=7)
    twins = []
    for seed in (7, 8):
        path = tmp_path / f"seed{seed}.db"
        shutil.copy(sqlite_template, path)
        other = Database(f"sqlite:///{path}")
        try:
            _generate(other, keys, now, seed=seed)
            twins.append(_snapshot(other, keys))
        finally:
            other.dispose()
    assert _snapshot(db, keys) == twins[0]
    assert twins[0][0] != twins[1][0]


def test_every_person_has_a_responsible_grid_worker_of_their_grid_and_the_community_team(db, keys, now):
    _generate(db, keys, now)
    grid = aliased(Area)
    with db.unit_of_work() as s:
        team = s.execute(
            select(
                Person.id,
                Person.area_id,
                grid.parent_id,
                CareAssignment.case_role,
                Worker.role,
                Worker.area_id,
            )
            .join(grid, grid.id == Person.area_id)
            .join(CareAssignment, CareAssignment.person_id == Person.id)
            .join(Worker, Worker.id == CareAssignment.worker_id)
        ).all()
        responsible = {
            person: worker
            for person, worker in s.execute(
                select(CareAssignment.person_id, CareAssignment.worker_id).where(
                    CareAssignment.case_role == CaseRole.responsible
                )
            )
        }
        authors = s.execute(select(Record.person_id, Record.author_id).distinct()).all()
        levels = set(s.scalars(select(Area.level).join(Person, Person.area_id == Area.id)))
    assert levels == {AreaLevel.grid}
    assert Counter(row.case_role for row in team) == {
        CaseRole.responsible: PERSONS,
        CaseRole.cadre: PERSONS,
        CaseRole.police: PERSONS,
    }
    expected = {
        CaseRole.responsible: Role.grid_worker,
        CaseRole.cadre: Role.cadre,
        CaseRole.police: Role.police,
    }
    for _, person_grid, community, case_role, role, worker_area in team:
        assert role == expected[case_role]
        assert worker_area == (person_grid if case_role == CaseRole.responsible else community)
    assert authors and all(responsible[person] == author for person, author in authors)


def test_staff_and_grids_keep_sane_ratios(db, keys, now):
    summary = _generate(db, keys, now)
    with db.unit_of_work() as s:
        roles = Counter(s.scalars(select(Worker.role)))
        per_grid = Counter(s.scalars(select(Worker.area_id).where(Worker.role == Role.grid_worker)))
        communities = s.scalar(select(func.count()).where(Area.level == AreaLevel.community))
    assert summary.workers == PERSONS // 10
    assert roles[Role.admin] == 1
    assert roles[Role.cadre] == roles[Role.police] == communities == 2
    assert roles[Role.supervisor] == 1 + 1 + 1 + communities  # city, county, town, each community
    assert set(per_grid.values()) <= {1, 2}
    assert 8 <= PERSONS / roles[Role.grid_worker] <= 30


def test_supervisors_override_the_count_at_community_level(db, keys, now):
    _generate(db, keys, now, supervisors=4)
    with db.unit_of_work() as s:
        levels = Counter(
            s.scalars(
                select(Area.level)
                .join(Worker, Worker.area_id == Area.id)
                .where(Worker.role == Role.supervisor)
            )
        )
    assert levels == {AreaLevel.city: 1, AreaLevel.county: 1, AreaLevel.town: 1, AreaLevel.community: 1}


def test_sensitive_fields_are_sealed_and_id_numbers_are_fake_but_well_formed(db, keys, now):
    _generate(db, keys, now)
    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT id_number_enc, phone_enc, address_enc, id FROM persons")).all()
        family = conn.execute(text("SELECT name_enc, id FROM family_members")).all()
    cells = [bytes(cell) for row in raw for cell in row[:3]] + [bytes(row[0]) for row in family]
    assert all(b"990000" not in cell and "演示路".encode() not in cell for cell in cells)
    numbers = [keys.open(row[0], Slot("persons", "id_number", row[3])) for row in raw]
    assert all(number.startswith("990000") and is_valid_id_number(number) for number in numbers)
    assert all(keys.open(row[1], Slot("persons", "phone", row[3])).startswith("1990000") for row in raw)
    assert all(keys.open(name, Slot("family_members", "name", row_id)) for name, row_id in family)


def test_colours_follow_the_mix_and_the_history_ends_at_the_current_colour(db, keys, now):
    _generate(db, keys, now)
    with db.unit_of_work() as s:
        persons = s.execute(select(Person.id, Person.colour, Person.status, Person.release_date)).all()
        history = s.execute(
            select(ColourChange.person_id, ColourChange.from_colour, ColourChange.to_colour).order_by(
                ColourChange.person_id, ColourChange.changed_at
            )
        ).all()
    colours = Counter(colour for _, colour, _, _ in persons)
    assert colours[Colour.blue] > colours[Colour.white] > colours[Colour.orange] > colours[Colour.red] > 0
    red = [(status, release) for _, colour, status, release in persons if colour == Colour.red]
    assert all(status == Status.compulsory_isolation for status, _ in red)
    assert sum(release > now.date() for _, release in red) > len(red) / 2
    assert sum(status in ACTIVE_STATUSES for _, _, status, _ in persons) > 0.9 * PERSONS
    by_person: dict[int, list[tuple[Colour | None, Colour]]] = {}
    for person, old, new in history:
        by_person.setdefault(person, []).append((old, new))
    current = {person: colour for person, colour, _, _ in persons}
    assert set(by_person) == set(current)
    assert all(changes[0][0] is None and changes[-1][1] == current[p] for p, changes in by_person.items())
    assert 0 < sum(len(changes) == 2 for changes in by_person.values()) < PERSONS / 2


def test_recent_records_leave_both_done_and_overdue_visits(db, keys, now):
    _generate(db, keys, now)
    week_ago, month_ago = now - timedelta(days=7), now.date() - timedelta(days=30)
    with db.unit_of_work() as s:
        last_visit = dict(
            s.execute(
                select(Record.person_id, func.max(Record.occurred_at))
                .where(Record.kind == RecordKind.visit, Record.subkind.in_(list(FACE_TO_FACE)))
                .group_by(Record.person_id)
            ).all()
        )
        settled = s.scalars(
            select(Person.id).where(Person.status.in_(ACTIVE_STATUSES), Person.programme_start < month_ago)
        ).all()
        results = Counter(s.scalars(select(Record.result).where(Record.kind == RecordKind.drug_test)))
        kinds = Counter(s.scalars(select(Record.kind)))
        latest = s.scalar(select(func.max(Record.occurred_at)))
    done = sum(1 for p in settled if p in last_visit and last_visit[p] >= week_ago)
    assert 0 < len(settled) - done < done
    assert results[DrugTestResult.negative] > results[DrugTestResult.positive] > 0
    assert kinds[RecordKind.education] > 0 and kinds[RecordKind.thought_report] > 0
    assert latest <= now


def test_generating_a_second_demo_city_raises_a_clear_error(db, keys, now):
    _generate(db, keys, now)
    with pytest.raises(ValueError, match=r"demo city \(DEMO\) exists already"):
        _generate(db, keys, now, seed=8)
    assert _count(db, Person) == PERSONS


def test_ordinary_writes_after_the_demo_get_fresh_ids(db, keys, now):
    _generate(db, keys, now)
    with db.unit_of_work() as s:
        tree = make_tree(s, prefix="REAL")
        person = make_person(s, tree["G1"], keys=keys, now=now)
    assert person.id == PERSONS + 1

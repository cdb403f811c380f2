"""Each person's obligations kept as data (models.services.obligations.state), on both databases.

The kept items must always be what the records give (`evaluate`, the Python rules): rewritten in
the unit of work that changes a person's facts, rolled by the night's batches when the days pass,
worked out on read as the last resort, and never moved back by a report on a past day. A
property-based test drives random histories (records filed and voided, colour, status, programme
dates, pauses, a person's own rules, days passing; some across a holiday) through the runtime's units
of work and checks, after each step, that the state read equals a recomputation and that `verify`
finds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bot.cli.obligations import difference_rows
from bot.db import Database
from models.audit import Actor
from models.casework import Pause
from models.obligation_state import ObligationItem, ObligationStamp
from models.people import Colour, Person, Status
from models.policy import Policy
from models.records import Record, RecordKind
from models.schedule import RuleSet
from models.services.directory.entries import change_colour
from models.services.identity import resolve
from models.services.obligations.due import obligation_rows, person_obligations
from models.services.obligations.state import at_day, prepare_roll, roll, verify
from models.services.reporting.records import NewRecord, save_record
from tests.integration.reminders_city import City, at, build_city

SUNDAY, MONDAY = date(2026, 3, 8), date(2026, 3, 9)
TWICE_A_WEEK_TOML = '[[rule]]\nobligation = "meeting"\nunit = "week"\ntimes = 2\n'
TWICE_A_WEEK = RuleSet.from_toml(TWICE_A_WEEK_TOML)


def stamp(db: Database, person: Person) -> tuple[date, date, str] | None:
    with db.unit_of_work() as s:
        row = s.get(ObligationStamp, person.id)
        return None if row is None else (row.computed_for, row.valid_until, row.basis)


def kept(db: Database, person: Person) -> dict[tuple[str, date], tuple[int, int]]:
    """(obligation, period start) -> (required, done), straight from the table (no read settles)."""
    with db.unit_of_work() as s:
        items = s.scalars(select(ObligationItem).where(ObligationItem.person_id == person.id))
        return {(i.obligation, i.period_start): (i.required, i.done) for i in items}


def rows_of(city: City, person: Person, today: date) -> list[tuple[object, ...]]:
    with city.db.unit_of_work() as s:
        rows = obligation_rows(s, today=today, policy=city.policy, where=Person.id == person.id)
    return [
        (r.obligation, r.period_start, r.due_date, r.required, r.done, r.state, r.days_overdue) for r in rows
    ]


def spec_of(city: City, person: Person, today: date) -> list[tuple[object, ...]]:
    with city.db.unit_of_work() as s:
        items = person_obligations(s, person.id, today, city.policy)
    return [
        (i.obligation, i.period_start, i.due_date, i.required, i.done, i.state, i.days_overdue(today))
        for i in items
    ]


def file_meeting(city: City, person: Person, when: datetime, *, runtime: bool) -> None:
    """A face-to-face meeting, saved as the runtime saves (the day known) or as a script does."""
    with city.db.unit_of_work() as s:
        if runtime:
            at_day(s, city.policy.local_date(when), city.policy)
        s.add(
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


def test_a_record_filed_rewrites_the_persons_items_in_its_unit_of_work(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    assert rows_of(city, person, MONDAY)  # the first read works the person out
    assert kept(db, person)[("meeting", MONDAY)] == (1, 0)
    file_meeting(city, person, at(MONDAY), runtime=True)
    assert kept(db, person)[("meeting", MONDAY)] == (1, 1)  # already there, before any read
    computed_for, valid_until, basis = stamp(db, person)
    assert (computed_for, basis) == (MONDAY, city.policy.basis) and valid_until > MONDAY


def _spec_kept(city: City, person: Person, today: date) -> dict[tuple[str, date], tuple[int, int]]:
    """The recomputed items as `kept` shows the table's (required and done per period)."""
    with city.db.unit_of_work() as s:
        items = person_obligations(s, person.id, today, city.policy)
    return {(i.obligation.value, i.period_start): (i.required, i.done) for i in items}


# A fact of the person that the rules read: (the person's facts before, the change), the change
# altering what is owed on MONDAY.
CHANGES: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "status": ({}, {"status": Status.compulsory_isolation}),
    "programme_start": ({}, {"programme_start": MONDAY + timedelta(days=20)}),
    "programme_end": ({}, {"programme_end": date(2026, 2, 20)}),
    "release_date": (
        {"status": Status.community_rehab, "release_date": MONDAY + timedelta(days=30)},
        {"release_date": MONDAY - timedelta(days=3)},
    ),
    "schedule_override": ({}, {"schedule_override": TWICE_A_WEEK_TOML}),
}


@pytest.mark.parametrize("field", CHANGES)
def test_a_change_to_what_the_rules_read_rewrites_the_items_in_its_unit_of_work(
    db: Database, field: str
) -> None:
    city = build_city(db)
    facts, change = CHANGES[field]
    person = city.person(created=at(date(2025, 6, 1)), programme_start=date(2025, 6, 1), **facts)
    rows_of(city, person, MONDAY)
    before = kept(db, person)
    with db.unit_of_work() as s:
        at_day(s, MONDAY, city.policy)
        changed = s.get(Person, person.id)
        for name, value in change.items():
            setattr(changed, name, value)
    after = kept(db, person)  # straight from the table: no read has settled anything
    assert after != before and after == _spec_kept(city, person, MONDAY)
    assert stamp(db, person)[0] == MONDAY


def file_note(city: City, person: Person, when: datetime, key: str, *, runtime: bool) -> None:
    """A case note (工作记录), which meets no obligation, saved through the save path the forms use."""
    with city.db.unit_of_work() as s:
        if runtime:
            at_day(s, city.policy.local_date(when), city.policy)
        who = resolve(s, city.worker.telegram_user_id)
        new = NewRecord(person_id=person.id, kind=RecordKind.note, occurred_at=when, notes="电话随访")
        assert save_record(s, who, new, now=when, idempotency_key=key).created


def test_a_case_note_is_no_change_to_the_persons_obligations(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    rows_of(city, person, MONDAY)
    before = stamp(db, person)
    file_note(city, person, at(MONDAY), "n1", runtime=True)
    file_note(city, person, at(MONDAY), "n2", runtime=False)  # a meeting filed so drops the stamp (below)
    with db.unit_of_work() as s:  # and as a script adds one, then voids it
        note = Record(
            person_id=person.id,
            kind=RecordKind.note,
            occurred_at=at(MONDAY),
            author_id=city.worker.id,
            created_at=at(MONDAY),
            updated_at=at(MONDAY),
        )
        s.add(note)
        s.flush()
        note.voided = True
    assert stamp(db, person) == before is not None
    assert rows_of(city, person, MONDAY) == spec_of(city, person, MONDAY)


def test_a_script_changing_a_person_drops_their_stamp_and_the_next_read_works_them_out(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    rows_of(city, person, MONDAY)
    file_meeting(city, person, at(MONDAY), runtime=False)
    assert stamp(db, person) is None
    assert rows_of(city, person, MONDAY) == spec_of(city, person, MONDAY)
    assert kept(db, person)[("meeting", MONDAY)] == (1, 1)


def test_the_passing_of_days_is_rolled_in_batches_and_once(db: Database) -> None:
    city = build_city(db)
    people = [city.person(created=at(date(2026, 2, 1))) for _ in range(5)]
    with db.unit_of_work() as s:
        assert prepare_roll(s, SUNDAY, city.policy) == 5  # never worked out: marked due
        assert [roll(s, SUNDAY, city.policy, batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert all(stamp(db, p)[:2] == (SUNDAY, MONDAY) for p in people)
    done = []
    for _ in range(4):
        with db.unit_of_work() as s:
            done.append(roll(s, MONDAY, city.policy, batch=2))
    assert done == [2, 2, 1, 0]
    for person in people:
        assert stamp(db, person)[0] == MONDAY
        assert kept(db, person)[("meeting", MONDAY)] == (1, 0)  # the new week, with no read
    with db.unit_of_work() as s:
        assert roll(s, MONDAY, city.policy) == 0  # idempotent: nothing more to do today


def test_the_night_redoes_everybody_kept_on_other_rules(db: Database) -> None:
    city = build_city(db)
    people = [city.person(created=at(date(2026, 2, 1))) for _ in range(3)]
    rows_of(city, people[0], MONDAY)
    rows_of(city, people[1], MONDAY)
    city.policy = Policy(tz=city.policy.tz, rules=city.policy.rules.replaced_by(TWICE_A_WEEK))
    with db.unit_of_work() as s:
        assert prepare_roll(s, MONDAY, city.policy) == 3  # two on the old rules, one never seen
        assert prepare_roll(s, MONDAY, city.policy) == 0  # already marked
        assert roll(s, MONDAY, city.policy) == 3
    for person in people:
        assert stamp(db, person)[2] == city.policy.basis
        assert kept(db, person)[("meeting", MONDAY)] == (2, 0)


@pytest.mark.postgres  # SKIP LOCKED: SQLite has one writer at a time anyway
def test_two_processes_share_the_night_and_a_crashed_batch_is_taken_over(pg: Database) -> None:
    db = pg
    city = build_city(db)
    people = [city.person(created=at(date(2026, 2, 1))) for _ in range(6)]
    with db.unit_of_work() as s:
        prepare_roll(s, MONDAY, city.policy)
    first, second = db.sessions(), db.sessions()
    try:
        assert roll(first, MONDAY, city.policy, batch=4) == 4  # claimed, not committed
        assert roll(second, MONDAY, city.policy, batch=4) == 2  # skips the four locked ones
        second.commit()
        assert roll(second, MONDAY, city.policy, batch=4) == 0  # nothing free
        first.rollback()  # the first process dies before its commit
        assert roll(second, MONDAY, city.policy, batch=4) == 4  # its batch is taken over
        second.commit()
    finally:
        first.close()
        second.close()
    assert all(stamp(db, p)[0] == MONDAY and stamp(db, p)[1] > MONDAY for p in people)


def test_a_report_on_a_past_day_is_worked_out_in_memory_and_moves_nobody_back(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.meet(person, at(date(2026, 3, 3)))
    rows_of(city, person, MONDAY)
    before = stamp(db, person), kept(db, person)
    wednesday = date(2026, 3, 4)
    assert rows_of(city, person, wednesday) == spec_of(city, person, wednesday)
    assert (stamp(db, person), kept(db, person)) == before


def test_another_rules_file_makes_everybodys_items_stale(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    rows_of(city, person, MONDAY)
    city.policy = Policy(tz=city.policy.tz, rules=city.policy.rules.replaced_by(TWICE_A_WEEK))
    assert [r[3] for r in rows_of(city, person, MONDAY) if r[:2] == ("meeting", MONDAY)] == [2]
    assert stamp(db, person)[2] == city.policy.basis


def test_verify_finds_a_kept_item_that_the_records_do_not_give(db: Database) -> None:
    city = build_city(db)
    people = [city.person(created=at(date(2026, 2, 1))) for _ in range(3)]
    city.meet(people[1], at(MONDAY))
    for person in people:
        rows_of(city, person, MONDAY)
    with db.unit_of_work() as s:
        assert verify(s, select(Person.id), MONDAY, city.policy) == (3, [])
        s.execute(
            update(ObligationItem)
            .where(
                ObligationItem.person_id == people[2].id,
                ObligationItem.obligation == "meeting",
                ObligationItem.period_start == MONDAY,
            )
            .values(done=1)
        )
    with db.unit_of_work() as s:
        checked, differences = verify(s, select(Person.id), MONDAY, city.policy)
    assert checked == 3 and [d.code for d in differences] == [people[2].code]
    [difference] = differences
    assert set(difference.kept) - set(difference.recomputed) == {
        ("meeting", str(MONDAY), "2026-03-15", "2026-03-16", 1, 1, "blue")
    }


def test_verify_finds_a_kept_earliest_open_due_date_that_the_items_do_not_give(db: Database) -> None:
    city = build_city(db)
    people = [city.person(created=at(date(2026, 2, 1))) for _ in range(2)]
    for person in people:
        rows_of(city, person, MONDAY)
    with db.unit_of_work() as s:
        kept = s.get(ObligationStamp, people[0].id).first_open_due
        open_dues = s.scalars(
            select(ObligationItem.due_date).where(
                ObligationItem.person_id == people[0].id, ObligationItem.done < ObligationItem.required
            )
        ).all()
        assert kept == min(open_dues)
        s.execute(
            update(ObligationStamp)
            .where(ObligationStamp.person_id == people[0].id)
            .values(first_open_due=kept + timedelta(days=1))
        )
    with db.unit_of_work() as s:
        checked, differences = verify(s, select(Person.id), MONDAY, city.policy)
    assert checked == 2 and [d.code for d in differences] == [people[0].code]
    [difference] = differences
    assert difference.kept == difference.recomputed  # the items agree: the stamp's date alone is wrong
    assert difference.first_open_due == (kept + timedelta(days=1), kept)
    assert difference_rows(difference) == [
        (people[0].code, "earliest open due", "", str(kept + timedelta(days=1)), str(kept), "")
    ]


# -- random histories -----------------------------------------------------------------------------

STATUSES = [Status.community_detox, Status.community_rehab, Status.compulsory_isolation, Status.lost_contact]
KINDS = [
    (RecordKind.visit, "home", None),
    (RecordKind.visit, "phone", None),
    (RecordKind.drug_test, "urine", "negative"),
    (RecordKind.drug_test, "urine", "refused"),
    (RecordKind.education, None, None),
    (RecordKind.thought_report, None, None),
    (RecordKind.assessment, "quantitative", None),
]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(range(len(KINDS))), st.integers(0, 40), st.booleans()),
        st.tuples(st.just("void"), st.integers(0, 10), st.just(0), st.booleans()),
        st.tuples(st.just("colour"), st.sampled_from(list(Colour)), st.just(0), st.booleans()),
        st.tuples(st.just("pause"), st.integers(-10, 10), st.integers(0, 20), st.booleans()),
        st.tuples(st.just("days"), st.integers(1, 12), st.just(0), st.booleans()),
        st.tuples(st.just("status"), st.sampled_from(STATUSES), st.integers(-30, 30), st.booleans()),
        st.tuples(
            st.just("programme"), st.sampled_from([-500, -200, -90, 45]), st.integers(0, 1), st.booleans()
        ),
        st.tuples(st.just("rules"), st.booleans(), st.just(0), st.booleans()),
    ),
    min_size=1,
    max_size=12,
)
# The days off of the official calendar that fall on weekdays (holidays), and a fortnight before
# each: histories that cross a holiday, whose deadlines move to the next working day.
HOLIDAYS = sorted(
    day - timedelta(days=back)
    for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
    if day.weekday() < 5 and not Policy().calendar.is_working_day(day)
    for back in range(0, 15, 3)
)


@pytest.fixture
def history_city(db: Database) -> City:
    return build_city(db)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=steps,
    start=st.one_of(
        st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), st.sampled_from(HOLIDAYS)
    ),
)
def test_random_histories_keep_the_state_equal_to_a_recomputation(
    history_city: City, steps: list[tuple[str, object, int, bool]], start: date
) -> None:
    city = history_city
    person = city.person(created=at(start - timedelta(days=60)), programme_start=start - timedelta(days=60))
    today = start
    rows_of(city, person, today)
    for op, a, b, runtime in steps:
        with city.db.unit_of_work() as s:
            if runtime:
                at_day(s, today, city.policy)
            now = at(today)
            if op == "record":
                kind, subkind, result = KINDS[a]
                when = at(today - timedelta(days=b))
                s.add(
                    Record(
                        person_id=person.id,
                        kind=kind,
                        subkind=subkind,
                        result=result,
                        occurred_at=when,
                        author_id=city.worker.id,
                        created_at=now,
                        updated_at=now,
                    )
                )
            elif op == "void":
                records = s.scalars(
                    select(Record)
                    .where(Record.person_id == person.id, Record.voided.is_(False))
                    .order_by(Record.id)
                ).all()
                if records:
                    records[int(a) % len(records)].voided = True
            elif op == "colour":
                change_colour(s, s.get(Person, person.id), a, reason="test", actor=Actor.cli(), now=now)
            elif op == "pause":
                first = today + timedelta(days=int(a))
                s.add(
                    Pause(
                        person_id=person.id,
                        starts_on=first,
                        ends_on=first + timedelta(days=b),
                        reason="test",
                        created_at=now,
                    )
                )
            elif op == "status":  # confirmed case changes set these (models.services.casework.life)
                changed = s.get(Person, person.id)
                changed.status = a
                changed.release_date = today + timedelta(days=b) if a is Status.community_rehab else None
            elif op == "programme":  # the programme's dates corrected
                changed = s.get(Person, person.id)
                changed.programme_start = start + timedelta(days=int(a)) - timedelta(days=60)
                changed.programme_end = changed.programme_start + timedelta(days=3 * 365) if b else None
            elif op == "rules":  # the person's own rules set or lifted
                s.get(Person, person.id).schedule_override = TWICE_A_WEEK_TOML if a else None
            elif op == "days":
                today += timedelta(days=int(a))
                with city.db.unit_of_work() as night:
                    prepare_roll(night, today, city.policy)
                    while roll(night, today, city.policy):
                        pass
        assert rows_of(city, person, today) == spec_of(city, person, today)
        with city.db.unit_of_work() as s:
            assert verify(s, select(Person.id).where(Person.id == person.id), today, city.policy) == (1, [])

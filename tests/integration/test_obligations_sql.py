"""The set-based obligations (one SQL statement) against the pure rules, person by person.

`obligations_on` (models.schedule) is the specification; `person_obligations` evaluates it for one
person. Random cities (colour changes mid-week and mid-month, programme starts and ends, releases
from isolation, overlapping pauses, records of every kind, voided ones) on tricky days (week, month
and half-year boundaries, holidays) must give exactly the same items through `obligation_rows`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Database
from models.casework import Pause
from models.people import CareAssignment, CaseRole, Colour, ColourChange, Person, Status
from models.policy import Policy
from models.records import Record, RecordKind
from models.schedule import DEFAULT_RULES, RuleSet
from models.services.obligations.due import ObligationRow, obligation_rows, person_obligations
from models.services.rights import caseload_clause
from tests.factories import make_tree, make_worker

TZ = ZoneInfo("Asia/Shanghai")

# A county's scheme (domain README): tests monthly in year 1, every 2 months in year 2, every 3
# in year 3; meetings of different period units per colour; counselling only in community rehab.
COUNTY = DEFAULT_RULES.replaced_by(
    RuleSet.from_toml(
        """
        [[rule]]
        obligation = "drug_test"
        unit = "month"
        programme_years = [1]
        [[rule]]
        obligation = "drug_test"
        unit = "month"
        every = 2
        programme_years = [2]
        [[rule]]
        obligation = "drug_test"
        unit = "month"
        every = 3
        programme_years = [3, 4]
        [[rule]]
        obligation = "meeting"
        unit = "week"
        times = 2
        colours = ["orange", "red"]
        [[rule]]
        obligation = "meeting"
        unit = "month"
        times = 3
        colours = ["white", "blue"]
        [[rule]]
        obligation = "counselling"
        unit = "month"
        times = 2
        colours = ["orange", "white"]
        statuses = ["community_rehab"]
        """
    )
)

DAYS = (
    date(2026, 3, 2),  # a Monday: last week's deadline
    date(2026, 3, 8),  # a Sunday
    date(2026, 6, 30),  # last day of a half-year
    date(2026, 7, 1),  # first day of the next
    date(2026, 10, 8),  # the day after the National Day holidays
    date(2026, 12, 31),
    date(2027, 1, 4),  # a new year's first Monday
    date(2028, 2, 29),  # a leap day: programme anniversaries
)

KINDS = [
    (RecordKind.visit, "home", None),
    (RecordKind.visit, "station", None),
    (RecordKind.visit, "phone", None),  # no meeting
    (RecordKind.visit, "home", "not_met"),  # 未见到本人: no meeting
    (RecordKind.visit, "home", "stable"),
    (RecordKind.drug_test, "urine", "negative"),
    (RecordKind.drug_test, "urine", "positive"),
    (RecordKind.drug_test, "urine", "refused"),  # no test
    (RecordKind.education, None, None),
    (RecordKind.thought_report, None, None),
    (RecordKind.assessment, "quantitative", None),
    (RecordKind.assessment, "comprehensive", None),
    (RecordKind.counselling, None, None),
    (RecordKind.registration, None, None),
    (RecordKind.note, None, None),
]


def _moment(day: date, rng: random.Random) -> datetime:
    """A local moment on `day`, often near midnight (where UTC and local dates differ)."""
    clock = rng.choice([time(0, 0), time(0, 30), time(7, 59), time(12), time(23, 59), time(16, 1)])
    return datetime.combine(day, clock, tzinfo=TZ).astimezone(UTC)


# Per-person rules (Person.schedule_override): a tighter meeting, a test every week, counselling,
# everything replaced; a blank one; and two that do not parse (held to the locality's rules).
OVERRIDES = (
    '[[rule]]\nobligation = "meeting"\nunit = "week"\ntimes = 2\n',
    '[[rule]]\nobligation = "drug_test"\nunit = "week"\n',
    '[[rule]]\nobligation = "counselling"\nunit = "month"\ntimes = 2\ncolours = ["orange", "white"]\n',
    'replace_all = true\n[[rule]]\nobligation = "meeting"\nunit = "month"\nevery = 2\ntimes = 3\n',
    "   \n",
    '[[rule]]\nobligation = "meeting"\nunit = "fortnight"\n',
    "[[rule]\nnot toml",
)


def _random_city(
    session: Session, rng: random.Random, today: date, persons: int, overrides: tuple[str, ...] = ()
) -> None:
    tree = make_tree(session, prefix=f"R{rng.randrange(10**6)}")
    workers = [make_worker(session, tree["G1"]) for _ in range(3)]
    now = datetime.combine(today, time(12), tzinfo=TZ).astimezone(UTC)
    for n in range(persons):
        status = rng.choice([Status.community_detox, Status.community_rehab, Status.community_rehab])
        start = today - timedelta(days=rng.randrange(-40, 1300))
        person = Person(
            code=f"X{rng.randrange(10**9)}-{n}",
            name="随机",
            area_id=tree["G1"].id,
            status=status,
            colour=rng.choice(list(Colour)),
            programme_start=rng.choice([start, start, None]),
            programme_end=rng.choice(
                [start + timedelta(days=1095), today + timedelta(days=rng.randrange(-60, 60))]
            ),
            release_date=today - timedelta(days=rng.randrange(-5, 40)) if rng.random() < 0.3 else None,
            schedule_override=overrides[n % len(overrides)] if overrides and n % 2 else None,
            created_at=now - timedelta(days=900),
            updated_at=now,
        )
        session.add(person)
        session.flush()
        if rng.random() < 0.8:
            session.add(
                CareAssignment(
                    person_id=person.id, worker_id=rng.choice(workers).id, case_role=CaseRole.responsible
                )
            )
        for _ in range(rng.choice([0, 1, 1, 2, 4])):
            day = today - timedelta(days=rng.randrange(-3, 400))
            session.add(
                ColourChange(
                    person_id=person.id,
                    changed_at=_moment(day, rng),
                    to_colour=rng.choice(list(Colour)),
                    reason="r",
                )
            )
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            first = today - timedelta(days=rng.randrange(-10, 400))
            last = first + timedelta(days=rng.randrange(0, 120))
            session.add(Pause(person_id=person.id, starts_on=first, ends_on=last, reason="r", created_at=now))
        for _ in range(rng.randrange(0, 30)):
            kind, subkind, result = rng.choice(KINDS)
            day = today - timedelta(days=int(rng.triangular(-5, 420, 0)))
            moment = _moment(day, rng)
            session.add(
                Record(
                    person_id=person.id,
                    kind=kind,
                    subkind=subkind,
                    result=result,
                    occurred_at=moment,
                    author_id=workers[0].id,
                    created_at=moment,
                    updated_at=moment,
                    voided=rng.random() < 0.1,
                )
            )
    session.flush()


def _spec(session: Session, today: date, policy: Policy) -> dict[int, list[ObligationRow]]:
    """What the pure rules say, person by person, as rows (worker and code from the database)."""
    expected: dict[int, list[ObligationRow]] = {}
    for person in session.query(Person).filter(
        Person.status.in_((Status.community_detox, Status.community_rehab))
    ):
        worker = (
            session.query(CareAssignment.worker_id)
            .filter_by(person_id=person.id, case_role=CaseRole.responsible)
            .scalar()
        )
        expected[person.id] = [
            ObligationRow(
                person.id,
                person.code,
                person.area_id,
                worker,
                item.colour,
                item.obligation,
                item.period_start,
                item.period_end,
                item.due_date,
                item.required,
                item.done,
                item.state,
                item.days_overdue(today),
            )
            for item in person_obligations(session, person.id, today, policy)
        ]
    return expected


def _by_person(rows: list[ObligationRow]) -> dict[int, list[ObligationRow]]:
    found: dict[int, list[ObligationRow]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(row)
    return found


@pytest.mark.parametrize("rules", [DEFAULT_RULES, COUNTY], ids=["default", "county"])
@pytest.mark.parametrize("seed", [1, 2])
def test_sql_obligations_equal_the_pure_rules_for_every_person(
    db: Database, seed: int, rules: RuleSet
) -> None:
    rng = random.Random(seed)
    policy = Policy(tz=TZ, rules=rules)
    for today in rng.sample(DAYS, 3):
        with db.unit_of_work() as session:
            _random_city(session, rng, today, persons=25)
            expected = _spec(session, today, policy)
            got = _by_person(obligation_rows(session, today=today, policy=policy))
            for person_id, items in expected.items():
                assert got.get(person_id, []) == items, (today, person_id)
            assert set(got) <= set(expected)


@pytest.mark.parametrize("rules", [DEFAULT_RULES, COUNTY], ids=["default", "county"])
def test_sql_obligations_honour_per_person_rules_as_the_pure_rules_do(db: Database, rules: RuleSet) -> None:
    rng = random.Random(5)
    policy = Policy(tz=TZ, rules=rules)
    for today in rng.sample(DAYS, 3):
        with db.unit_of_work() as session:
            _random_city(session, rng, today, persons=28, overrides=OVERRIDES)
            expected = _spec(session, today, policy)
            got = _by_person(obligation_rows(session, today=today, policy=policy))
            for person_id, items in expected.items():
                assert got.get(person_id, []) == items, (today, person_id)
            assert set(got) <= set(expected)
            caseload = next(r.worker_id for rows in got.values() for r in rows if r.worker_id)
            mine = obligation_rows(session, today=today, policy=policy, worker_id=caseload)
            assert mine == [r for rows in got.values() for r in rows if r.worker_id == caseload]


def test_open_only_leaves_out_exactly_the_done_items(db: Database) -> None:
    rng = random.Random(7)
    policy = Policy(tz=TZ, rules=COUNTY)
    today = date(2026, 7, 1)
    with db.unit_of_work() as session:
        _random_city(session, rng, today, persons=30)
        every = obligation_rows(session, today=today, policy=policy)
        open_ = obligation_rows(session, today=today, policy=policy, open_only=True)
    assert open_ == [r for r in every if r.state != "done"]
    assert len(open_) < len(every)


def test_a_caseload_and_a_subtree_give_the_same_rows_as_the_city_filtered(db: Database) -> None:
    rng = random.Random(11)
    policy = Policy(tz=TZ)
    today = date(2026, 3, 4)
    with db.unit_of_work() as session:
        _random_city(session, rng, today, persons=30)
        other = make_tree(session, prefix="OTHER")
        every = obligation_rows(session, today=today, policy=policy)
        worker_id = next(r.worker_id for r in every if r.worker_id is not None)
        mine = obligation_rows(session, today=today, policy=policy, worker_id=worker_id)
        subtree = obligation_rows(session, today=today, policy=policy, area_path=other["CITY"].path)
    assert mine == [r for r in every if r.worker_id == worker_id]
    assert subtree == []


def test_a_kept_statement_answers_each_caller_with_its_own_values(db: Database) -> None:
    """obligation_rows keeps its statement per shape of the conditions and binds the new values:
    every worker in turn (the same shape, other ids) must get their own rows, not the first's."""
    rng = random.Random(13)
    policy = Policy(tz=TZ)
    today = date(2026, 3, 4)
    with db.unit_of_work() as session:
        _random_city(session, rng, today, persons=30)
        every = obligation_rows(session, today=today, policy=policy)
        workers = sorted({r.worker_id for r in every if r.worker_id is not None})
        assert len(workers) >= 2
        for worker_id in [*workers, *reversed(workers)]:
            mine = obligation_rows(session, today=today, policy=policy, worker_id=worker_id)
            assert mine == [r for r in every if r.worker_id == worker_id], worker_id
            # the caseload condition of /today (care team or delegations, with a day) likewise
            team = set(
                session.scalars(select(CareAssignment.person_id).where(CareAssignment.worker_id == worker_id))
            )
            clause = caseload_clause(worker_id, today)
            caseload = obligation_rows(session, today=today, policy=policy, where=clause)
            assert caseload == [r for r in every if r.person_id in team], worker_id

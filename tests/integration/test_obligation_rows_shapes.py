"""`obligation_rows` and `week_rows` keep one statement per shape and bind its values at run time:
every worker, person and day must get their own rows from it, never the first caller's. Checked
against the whole city's rows filtered in Python, on a generated city with a delegation running,
for today and for a past day (persons kept for a later day, worked out in memory)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState

from bot.db import Database
from bot.demo import generate_demo_city
from models.areas import Area
from models.casework import Delegation
from models.people import CareAssignment, Person
from models.policy import Policy
from models.schedule import State
from models.services.digest.items import count_items, overdue_in
from models.services.obligations.due import (
    ObligationRow,
    WeekRows,
    in_week,
    obligation_rows,
    person_rows,
    week_rows,
)
from models.services.reminders.due_lists import due_list
from models.services.reminders.morning import morning_rows
from models.services.reminders.overdue import escalations

POLICY = Policy()


@pytest.fixture
def city(db: Database, keys, now) -> Database:
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=300, seed=3, keys=keys, now=now)
        workers = select(CareAssignment.worker_id).distinct().order_by(CareAssignment.worker_id).limit(2)
        first, second = s.scalars(workers)
        today = POLICY.local_date(now)
        s.add(
            Delegation(
                from_worker_id=first,
                to_worker_id=second,
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=1),
                created_at=now,
            )
        )
    return db


@pytest.mark.parametrize("days_back", [0, 3])
def test_each_caller_gets_their_own_rows(city: Database, now, days_back: int) -> None:
    today = POLICY.local_date(now)
    day = today - timedelta(days=days_back)
    with city.unit_of_work() as s:
        obligation_rows(s, today=today, policy=POLICY)  # everyone kept for today first
        everyone = obligation_rows(s, today=day, policy=POLICY, active_only=False)
        by_person = defaultdict(list)
        for row in everyone:
            by_person[row.person_id].append(row)
        teams = defaultdict(set)
        for worker, person in s.execute(select(CareAssignment.worker_id, CareAssignment.person_id)):
            teams[worker].add(person)
        delegation = s.scalars(select(Delegation)).one()
        managed = {r.person_id for r in obligation_rows(s, today=day, policy=POLICY)}
        assert len(teams) > 10 and managed

        for worker, people in teams.items():
            mine = [r for r in everyone if r.person_id in people & managed]
            assert obligation_rows(s, today=day, policy=POLICY, worker_id=worker) == mine
            lent = teams[delegation.from_worker_id] if worker == delegation.to_worker_id else set()
            with_lent = [r for r in everyone if r.person_id in (people | lent) & managed]
            assert obligation_rows(s, today=day, policy=POLICY, caseload_of=worker) == with_lent
            assert obligation_rows(s, today=day, policy=POLICY, caseload_of=worker, open_only=True) == [
                r for r in with_lent if r.done < r.required
            ]
        for person, rows in list(by_person.items())[:40]:
            assert person_rows(s, person, day, POLICY) == rows
        for area_id, path in s.execute(select(Area.id, Area.path)).all()[:20]:
            inside = {a for (a,) in s.execute(select(Area.id).where(Area.path.startswith(path)))}
            assert obligation_rows(s, today=day, policy=POLICY, area_path=path) == [
                r for r in everyone if r.area_id in inside and r.person_id in managed
            ], area_id


@pytest.mark.parametrize("days_back", [0, 3, 9])
def test_a_due_list_reads_the_weeks_items_and_counts_the_rest(city: Database, now, days_back: int) -> None:
    """`week_rows` (/today, the morning list) reads only what a due list shows, and counts the rest:
    the same list as from every item, for each caseload and for a set of persons, on any day (a past
    day's persons worked out in memory)."""
    today = POLICY.local_date(now)
    day = today - timedelta(days=days_back)
    with city.unit_of_work() as s:
        obligation_rows(s, today=today, policy=POLICY)  # everyone kept for today first
        open_rows = obligation_rows(s, today=day, policy=POLICY, open_only=True)
        listed = [r for r in open_rows if in_week(day, r.due_date, r.period_end)]
        after = Counter((r.person_id, r.worker_id) for r in set(open_rows) - set(listed))
        assert listed and after  # the city owes both this week and after it

        def expected(people: set[int]) -> tuple[list[ObligationRow], Counter[tuple[int, int | None]]]:
            return [r for r in listed if r.person_id in people], Counter(
                {key: n for key, n in after.items() if key[0] in people}
            )

        def got(week: WeekRows) -> tuple[list[ObligationRow], Counter[tuple[int, int | None]]]:
            return week.rows, Counter({(n.person_id, n.worker_id): n.items for n in week.later})

        workers = s.scalars(select(CareAssignment.worker_id).distinct()).all()
        for worker in workers:
            everything = obligation_rows(s, today=day, policy=POLICY, caseload_of=worker)
            week = week_rows(s, today=day, policy=POLICY, caseload_of=worker)
            assert got(week) == expected({r.person_id for r in everything}), worker
            assert due_list(week.rows, day, later=week.later_items) == due_list(everything, day)
        some = {r.person_id for r in open_rows[::3]}
        assert got(week_rows(s, today=day, policy=POLICY, where=Person.id.in_(some))) == expected(some)


@pytest.mark.parametrize("when", ["today", "three days back", "a deadline"])
@pytest.mark.parametrize("overdue_by", [0, 1, 4])
def test_the_ladder_reads_only_the_items_overdue_long_enough(
    city: Database, now, when: str, overdue_by: int
) -> None:
    """`overdue_by` (the overdue ladder) keeps the open items overdue by that many days or more, at
    least one (an item due that very day is not overdue): the same rows as every item filtered in
    Python, on any day (a past day's persons worked out in memory)."""
    today = POLICY.local_date(now)
    with city.unit_of_work() as s:
        kept = obligation_rows(s, today=today, policy=POLICY)  # everyone kept for today first
        day = {
            "today": today,
            "three days back": today - timedelta(days=3),
            "a deadline": max(r.due_date for r in kept if r.due_date <= today),
        }[when]
        everything = obligation_rows(s, today=day, policy=POLICY)
        late = [r for r in everything if r.state is State.overdue and r.days_overdue >= overdue_by]
        assert late and len(late) < len(everything)
        if when == "a deadline":
            assert any(r.due_date == day and r.state is State.due for r in everything)
        assert obligation_rows(s, today=day, policy=POLICY, overdue_by=overdue_by) == late
        some = {r.person_id for r in everything[::3]}
        assert obligation_rows(
            s, today=day, policy=POLICY, where=Person.id.in_(some), overdue_by=overdue_by
        ) == [r for r in late if r.person_id in some]


def test_the_jobs_read_the_kept_items_as_core_statements(city: Database, now) -> None:
    """The morning's, the ladder's and the digest's reads of the kept items narrow them on the tables'
    columns: a mapped attribute in `where` would make the ORM process each of a city's rows."""
    today = POLICY.local_date(now)
    read: list[bool] = []

    def note(state: ORMExecuteState) -> None:
        if state.is_select and "obligation_items" in str(state.statement):
            read.append(state.is_orm_statement)

    with city.unit_of_work() as s:
        obligation_rows(s, today=today, policy=POLICY)  # everyone kept for today first
        event.listen(s, "do_orm_execute", note)
        workers = list(s.scalars(select(CareAssignment.worker_id).distinct()))
        assert any(week.rows for week in morning_rows(s, workers, today=today, policy=POLICY).values())
        escalations(s, today=today, policy=POLICY, area_ids=list(s.scalars(select(Area.id))))  # nobody linked
        earlier = today - timedelta(days=3)  # everyone kept for a later day: worked out in memory
        root = s.scalars(select(Area.path).order_by(func.length(Area.path))).first()
        assert count_items(s, root, earlier, POLICY, horizon=earlier).past
        assert overdue_in(s, root, today, POLICY, limit=5)
    assert read and not any(read)

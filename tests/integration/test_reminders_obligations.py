"""What is due when, through the set-based obligations: period boundaries, colour changes, rest
days, pauses, compulsory isolation and release. Each with a controllable clock (a chosen today)."""

from __future__ import annotations

from datetime import date, time

from bot.db import Database
from models.access import Principal
from models.people import Colour, Status
from models.records import RecordKind
from models.services.identity import Identity
from models.services.obligations.due import ObligationRow, obligation_rows
from models.services.pauses import create_pause
from tests.integration.reminders_city import City, at, build_city


def _rows(city: City, today: date, obligation: str | None = None) -> list[ObligationRow]:
    with city.db.unit_of_work() as session:
        rows = obligation_rows(session, today=today, policy=city.policy)
    return [r for r in rows if obligation is None or r.obligation == obligation]


def _state(rows: list[ObligationRow]) -> list[tuple[date, str, int, int]]:
    return [(r.period_start, str(r.state), r.done, r.required) for r in rows]


def test_a_week_runs_monday_to_sunday_and_its_deadline_rolls_to_monday(db: Database) -> None:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    [row] = [r for r in _rows(city, date(2026, 3, 8), "meeting") if r.period_start == date(2026, 3, 2)]
    assert (row.period_end, row.due_date, str(row.state)) == (date(2026, 3, 8), date(2026, 3, 9), "due")
    march = date(2026, 3, 1)  # (February's weeks are overdue too: nobody met the person)
    on_monday = [r for r in _rows(city, date(2026, 3, 9), "meeting") if r.period_start > march]
    assert _state(on_monday) == [(date(2026, 3, 2), "due", 0, 1), (date(2026, 3, 9), "due", 0, 1)]
    on_tuesday = [r for r in _rows(city, date(2026, 3, 10), "meeting") if r.period_start > march]
    first = on_tuesday[0]
    assert (first.period_start, str(first.state), first.days_overdue) == (
        date(2026, 3, 2),
        "overdue",
        1,
    )


def test_a_visit_late_on_sunday_night_counts_for_that_week(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.meet(person, at(date(2026, 3, 8), time(23, 50)))  # Sunday 23:50 local is 15:50 UTC
    assert _state(_rows(city, date(2026, 3, 10), "meeting")) == [(date(2026, 3, 9), "due", 0, 1)]


def test_a_phone_call_is_no_meeting(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.record(person, RecordKind.visit, at(date(2026, 3, 3)), "phone")
    assert _state(_rows(city, date(2026, 3, 4), "meeting"))[-1] == (date(2026, 3, 2), "due", 0, 1)


def test_becoming_orange_on_wednesday_means_two_meetings_this_week(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.meet(person, at(date(2026, 3, 2)))
    assert _state(_rows(city, date(2026, 3, 3), "meeting"))[-1] == (date(2026, 3, 2), "done", 1, 1)
    city.recolour(person, Colour.orange, at(date(2026, 3, 4), time(15)))
    [row] = [r for r in _rows(city, date(2026, 3, 4), "meeting") if r.period_start == date(2026, 3, 2)]
    assert (str(row.state), row.done, row.required, row.colour) == ("due", 1, 2, Colour.orange)
    # the week before keeps the colour it ended with: one meeting was owed, none recorded
    assert _state(_rows(city, date(2026, 3, 4), "meeting"))[0] == (date(2026, 2, 23), "overdue", 0, 1)


def test_at_the_month_boundary_last_months_work_is_listed_until_done(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    rows = _rows(city, date(2026, 4, 1), "education")
    assert [(r.period_start, r.period_end, str(r.state)) for r in rows] == [
        (date(2026, 3, 1), date(2026, 3, 31), "overdue"),
        (date(2026, 4, 1), date(2026, 4, 30), "due"),
    ]
    city.record(person, RecordKind.education, at(date(2026, 3, 31), time(22)))
    assert [r.period_start for r in _rows(city, date(2026, 4, 1), "education")] == [date(2026, 4, 1)]


def test_the_half_year_assessment_of_january_to_june_is_overdue_on_the_first_of_july(db: Database) -> None:
    city = build_city(db)
    city.person(created=at(date(2026, 1, 5)))
    june = _rows(city, date(2026, 6, 30), "quantitative_assessment")
    assert [(r.period_start, r.period_end, str(r.state)) for r in june][-1] == (
        date(2026, 1, 1),
        date(2026, 6, 30),
        "due",
    )
    july = _rows(city, date(2026, 7, 1), "quantitative_assessment")
    assert [(r.period_start, str(r.state), r.days_overdue) for r in july] == [
        (date(2026, 1, 1), "overdue", 1),
        (date(2026, 7, 1), "due", 0),
    ]


def test_a_deadline_on_a_public_holiday_moves_to_the_next_working_day(db: Database) -> None:
    city = build_city(db)
    city.person(created=at(date(2026, 8, 1)))
    [week] = [r for r in _rows(city, date(2026, 10, 2), "meeting") if r.period_start == date(2026, 9, 28)]
    assert week.period_end == date(2026, 10, 4) and week.due_date == date(
        2026, 10, 8
    )  # National Day holidays


def test_a_pause_over_most_of_a_week_cancels_that_weeks_meeting(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    with db.unit_of_work() as session:
        who = Identity(Principal.grid_worker, city.worker.telegram_user_id, worker_id=city.worker.id)
        create_pause(
            session,
            who,
            person.id,
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 5),
            reason="hospital",
            today=date(2026, 3, 2),
            now=at(date(2026, 3, 2)),
        )
    assert [r.period_start for r in _rows(city, date(2026, 3, 4), "meeting")] == [date(2026, 2, 23)]
    assert [r.period_start for r in _rows(city, date(2026, 3, 10), "meeting")] == [date(2026, 3, 9)]


def test_a_red_person_in_compulsory_isolation_owes_nothing(db: Database) -> None:
    city = build_city(db)
    city.person(created=at(date(2026, 1, 5)), colour=Colour.red, status=Status.compulsory_isolation)
    assert _rows(city, date(2026, 3, 4)) == []


def test_on_release_the_person_owes_registration_within_fifteen_days(db: Database) -> None:
    city = build_city(db)
    person = city.person(
        created=at(date(2026, 1, 5)),
        colour=Colour.red,
        status=Status.community_rehab,
        release_date=date(2026, 3, 2),
    )
    [reg] = _rows(city, date(2026, 3, 4), "registration")
    assert (reg.period_start, reg.period_end, reg.due_date, str(reg.state)) == (
        date(2026, 3, 2),
        date(2026, 3, 16),
        date(2026, 3, 16),
        "due",
    )
    assert _rows(city, date(2026, 3, 17), "registration")[0].days_overdue == 1
    city.record(person, RecordKind.registration, at(date(2026, 3, 18)))
    assert _rows(city, date(2026, 3, 19), "registration") == []  # registered late: it drops off
    assert _rows(city, date(2026, 3, 19), "meeting")  # and the community schedule applies

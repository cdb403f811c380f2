"""`stable_until`: the state kept for a day holds, item for item, until the day it names.

Random persons (colours changing, programme spans, pauses, a release) and random records, on
random days with the Chinese calendar (holidays, swapped weekends) and the overdue ladder kept:
on every day from `today` up to `stable_until`, `obligations_on` lists the same periods with the
same counts, and their states are what the date says (done, else overdue after the deadline).
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.people import Colour, Status
from models.schedule import (
    DEFAULT_RULES,
    DoneFact,
    DueItem,
    Obligation,
    PersonFacts,
    RuleSet,
    State,
    obligations_on,
    stable_until,
)
from models.workdays import WorkCalendar
from tests.unit.test_schedule import COUNTY

CN = WorkCalendar()
KEPT = 7
# Drug tests by programme year (the county of the schedule's tests) over the default meetings.
YEARLY_BY_PROGRAMME = DEFAULT_RULES.replaced_by(COUNTY)

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def persons(draw: st.DrawFn) -> PersonFacts:
    changes = sorted(draw(st.lists(st.tuples(days, st.sampled_from(list(Colour))), min_size=1, max_size=4)))
    start = draw(st.none() | days)
    end = draw(st.none() | days.filter(lambda d: start is None or d >= start))
    pauses = []
    for first in draw(st.lists(days, max_size=2)):
        pauses.append((first, first + timedelta(days=draw(st.integers(0, 40)))))
    status = draw(
        st.sampled_from([Status.community_rehab, Status.community_detox, Status.compulsory_isolation])
    )
    return PersonFacts(
        status=status,
        colour_history=tuple(changes),
        programme_start=start,
        programme_end=end,
        released_on=draw(st.none() | days),
        pauses=tuple(pauses),
    )


def kept(item: DueItem) -> tuple[object, ...]:
    """What the state table keeps of an item (its state is read off the date)."""
    return (
        item.obligation,
        item.period_start,
        item.period_end,
        item.due_date,
        item.required,
        item.done,
        item.colour,
    )


def state_on(item: DueItem, day: date) -> State:
    return State.done if item.done >= item.required else State.overdue if day > item.due_date else State.due


@settings(max_examples=300, deadline=None)
@given(
    persons(),
    st.sampled_from([DEFAULT_RULES, YEARLY_BY_PROGRAMME]),
    days,
    st.lists(st.tuples(st.sampled_from(list(Obligation)), days), max_size=25),
)
def test_the_items_of_a_day_hold_until_stable_until(
    person: PersonFacts, rules: RuleSet, today: date, records: list[tuple[Obligation, date]]
) -> None:
    done = [DoneFact(o, d) for o, d in records]
    options = {"is_working_day": CN.is_working_day, "overdue_kept_days": KEPT}
    items = obligations_on(person, rules, today, done, **options)
    until = stable_until(person, rules, today, **options)
    assert until > today
    for offset in range(min((until - today).days, 45)):
        day = today + timedelta(days=offset)
        later = obligations_on(person, rules, day, done, **options)
        assert sorted(map(kept, later), key=repr) == sorted(map(kept, items), key=repr), day
        assert sorted((kept(i), i.state) for i in later) == sorted((kept(i), state_on(i, day)) for i in items)


def test_a_weekly_rule_holds_until_the_next_monday() -> None:
    person = PersonFacts(Status.community_rehab, ((date(2024, 1, 1), Colour.white),), date(2024, 1, 1), None)
    wednesday = date(2026, 12, 2)
    assert stable_until(person, DEFAULT_RULES, wednesday) == date(2026, 12, 7)


def test_a_programme_anniversary_ends_the_stable_span() -> None:
    person = PersonFacts(Status.community_rehab, ((date(2024, 1, 1), Colour.white),), date(2025, 12, 3), None)
    only_monthly = RuleSet.from_toml(
        '[[rule]]\nobligation = "drug_test"\nunit = "month"\nprogramme_years = [1]\n'
    )
    assert stable_until(person, only_monthly, date(2026, 11, 20)) == date(2026, 12, 1)
    assert stable_until(person, only_monthly, date(2026, 12, 1)) == date(2026, 12, 3)


def test_a_leap_day_start_steps_up_on_the_first_of_march() -> None:
    person = PersonFacts(Status.community_rehab, ((date(2024, 1, 1), Colour.white),), date(2024, 2, 29), None)
    only_yearly = RuleSet.from_toml(
        '[[rule]]\nobligation = "comprehensive_assessment"\nunit = "month"\nevery = 12\n'
    )
    assert stable_until(person, only_yearly, date(2025, 2, 27)) == date(2025, 3, 1)

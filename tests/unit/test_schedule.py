"""The schedule rules: periods, the default rules, rules files, and what a person owes on a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.people import Colour, Status
from models.schedule import (
    DEFAULT_RULES,
    MONTH_MULTIPLES,
    DoneFact,
    DueItem,
    Obligation,
    PersonFacts,
    RulesError,
    RuleSet,
    State,
    Unit,
    every_day_works,
    obligation_of,
    obligations_on,
    period_of,
)
from models.workdays import WorkCalendar

MONDAY = date(2025, 9, 1)  # 2025-09-01 is a Monday; weeks below are counted from it
CN = WorkCalendar()

COUNTY = RuleSet.from_toml(
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
    programme_years = [3]
    """
)


def day(week: int, weekday: int) -> date:
    """A day in the week `week` weeks after MONDAY's; weekday 0 = Monday ... 6 = Sunday."""
    return MONDAY + timedelta(weeks=week, days=weekday)


def person(
    colour: Colour = Colour.white,
    *,
    status: Status = Status.community_detox,
    start: date | None = date(2025, 1, 1),
    end: date | None = None,
    released_on: date | None = None,
    pauses: tuple[tuple[date, date], ...] = (),
    changes: tuple[tuple[date, Colour], ...] = (),
) -> PersonFacts:
    return PersonFacts(status, ((date(2020, 1, 1), colour), *changes), start, end, released_on, pauses)


def did(obligation: Obligation, *days: date) -> list[DoneFact]:
    return [DoneFact(obligation, d) for d in days]


def owed(
    who: PersonFacts,
    today: date,
    obligation: Obligation,
    *,
    done: Iterable[DoneFact] = (),
    rules: RuleSet = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> list[DueItem]:
    """The items of one obligation, oldest period first."""
    working = calendar.is_working_day if calendar else every_day_works
    items = obligations_on(who, rules, today, done, is_working_day=working)
    return sorted((i for i in items if i.obligation == obligation), key=lambda i: i.period_start)


def current(
    who: PersonFacts,
    today: date,
    obligation: Obligation,
    *,
    done: Iterable[DoneFact] = (),
    rules: RuleSet = DEFAULT_RULES,
    calendar: WorkCalendar | None = None,
) -> DueItem:
    """The item of the period containing `today` (the last one listed)."""
    items = owed(who, today, obligation, done=done, rules=rules, calendar=calendar)
    assert items, f"nothing owed for {obligation} on {today}"
    return items[-1]


# Periods


def test_a_week_runs_from_monday_to_sunday() -> None:
    assert period_of(Unit.week, 1, day(0, 6)) == (day(0, 0), day(0, 6))
    assert period_of(Unit.week, 1, day(1, 0)) == (day(1, 0), day(1, 6))


def test_a_month_ends_on_its_last_day_in_leap_and_common_years() -> None:
    assert period_of(Unit.month, 1, date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_of(Unit.month, 1, date(2025, 2, 10)) == (date(2025, 2, 1), date(2025, 2, 28))


@pytest.mark.parametrize(
    ("every", "start", "end"),
    [
        (2, date(2025, 5, 1), date(2025, 6, 30)),
        (3, date(2025, 4, 1), date(2025, 6, 30)),
        (6, date(2025, 1, 1), date(2025, 6, 30)),
        (12, date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_multi_month_periods_are_aligned_to_the_calendar_year(every: int, start: date, end: date) -> None:
    assert period_of(Unit.month, every, date(2025, 6, 15)) == (start, end)


def test_the_second_half_year_starts_on_july_first() -> None:
    assert period_of(Unit.month, 6, date(2025, 7, 1)) == (date(2025, 7, 1), date(2025, 12, 31))


def test_a_period_shape_no_rule_can_have_is_refused() -> None:
    with pytest.raises(ValueError, match="every"):
        period_of(Unit.month, 4, MONDAY)
    with pytest.raises(ValueError, match="every"):
        period_of(Unit.week, 2, MONDAY)


@given(
    st.sampled_from([(Unit.week, 1)] + [(Unit.month, n) for n in MONTH_MULTIPLES]),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31)),
)
def test_periods_contain_their_day_and_tile_the_calendar(shape: tuple[Unit, int], d: date) -> None:
    unit, every = shape
    start, end = period_of(unit, every, d)
    assert start <= d <= end
    assert period_of(unit, every, start) == period_of(unit, every, end) == (start, end)
    assert period_of(unit, every, end + timedelta(days=1))[0] == end + timedelta(days=1)
    assert period_of(unit, every, start - timedelta(days=1))[1] == start - timedelta(days=1)


@settings(max_examples=60, deadline=None)
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    st.lists(st.dates(min_value=date(2023, 12, 1), max_value=date(2028, 1, 31)), max_size=12),
    st.sampled_from(list(Colour)),
)
def test_every_item_is_the_current_or_an_earlier_period_with_a_consistent_state(
    today: date, meetings: list[date], colour: Colour
) -> None:
    items = obligations_on(
        person(colour, start=date(2024, 1, 1)), DEFAULT_RULES, today, did(Obligation.meeting, *meetings)
    )
    for item in items:
        assert item.period_start <= today and (item.period_end >= today or item.state != State.done)
        assert item.period_end <= item.due_date
        assert (item.state == State.done) == (item.done >= item.required)
        assert (item.state == State.overdue) == (item.done < item.required and today > item.due_date)


# Meetings and week boundaries


def test_white_person_owes_one_meeting_a_week() -> None:
    item = current(person(Colour.white), day(2, 2), Obligation.meeting)
    assert (item.period_start, item.period_end, item.required, item.state) == (
        day(2, 0),
        day(2, 6),
        1,
        State.due,
    )


def test_orange_person_owes_two_meetings_a_week() -> None:
    assert current(person(Colour.orange), day(2, 2), Obligation.meeting).required == 2


def test_one_meeting_leaves_an_orange_week_due_and_a_second_makes_it_done() -> None:
    who, today = person(Colour.orange), day(2, 4)
    once = current(who, today, Obligation.meeting, done=did(Obligation.meeting, day(2, 1)))
    twice = current(who, today, Obligation.meeting, done=did(Obligation.meeting, day(2, 1), day(2, 3)))
    assert (once.done, once.state) == (1, State.due)
    assert (twice.done, twice.state) == (2, State.done)


def test_a_sunday_meeting_counts_for_its_own_week_and_a_monday_meeting_for_the_next() -> None:
    sunday = owed(person(), day(2, 3), Obligation.meeting, done=did(Obligation.meeting, day(1, 6)))
    monday = owed(person(), day(2, 3), Obligation.meeting, done=did(Obligation.meeting, day(2, 0)))
    assert [(i.period_start, i.done) for i in sunday] == [(day(2, 0), 0)]
    assert [(i.period_start, i.done) for i in monday] == [(day(1, 0), 0), (day(2, 0), 1)]


def test_a_missed_week_is_listed_overdue_beside_the_current_one() -> None:
    previous, this = owed(person(), day(2, 2), Obligation.meeting)
    assert (previous.period_start, previous.state, previous.days_overdue(day(2, 2))) == (
        day(1, 0),
        State.overdue,
        3,
    )
    assert this.state == State.due


def test_a_done_previous_week_is_not_listed() -> None:
    items = owed(person(), day(2, 2), Obligation.meeting, done=did(Obligation.meeting, day(1, 4)))
    assert [i.period_start for i in items] == [day(2, 0)]


def test_days_overdue_is_zero_before_the_deadline_and_when_done() -> None:
    item = current(person(), day(2, 2), Obligation.meeting)
    assert item.days_overdue(day(2, 2)) == 0
    done = current(person(), day(2, 2), Obligation.meeting, done=did(Obligation.meeting, day(2, 0)))
    assert done.days_overdue(day(5, 0)) == 0


# Months, half-years and years


def test_monthly_defaults_cover_drug_test_education_and_thought_report() -> None:
    items = obligations_on(person(), DEFAULT_RULES, date(2025, 9, 10), [])
    monthly = {i.obligation for i in items if i.period_end == date(2025, 9, 30)}
    assert monthly == {Obligation.drug_test, Obligation.education, Obligation.thought_report}


def test_the_defaults_owe_no_counselling() -> None:
    assert owed(person(), date(2025, 9, 10), Obligation.counselling) == []


def test_a_test_on_the_last_day_of_the_month_counts_for_that_month() -> None:
    done = did(Obligation.drug_test, date(2025, 9, 30))
    assert owed(person(), date(2025, 10, 1), Obligation.drug_test, done=done)[0].period_start == date(
        2025, 10, 1
    )
    assert current(person(), date(2025, 9, 30), Obligation.drug_test, done=done).state == State.done


def test_an_untaken_test_is_overdue_the_day_after_the_month_ends() -> None:
    previous = owed(person(), date(2025, 10, 1), Obligation.drug_test)[0]
    assert (previous.period_end, previous.state) == (date(2025, 9, 30), State.overdue)


def test_a_quantitative_assessment_on_june_30_closes_the_first_half_year() -> None:
    done = did(Obligation.quantitative_assessment, date(2025, 6, 30))
    items = owed(person(), date(2025, 7, 1), Obligation.quantitative_assessment, done=done)
    assert [(i.period_start, i.state) for i in items] == [(date(2025, 7, 1), State.due)]


def test_a_quantitative_assessment_on_july_1_does_not_close_the_first_half_year() -> None:
    done = did(Obligation.quantitative_assessment, date(2025, 7, 1))
    items = owed(person(), date(2025, 7, 2), Obligation.quantitative_assessment, done=done)
    assert [(i.period_end, i.state) for i in items] == [
        (date(2025, 6, 30), State.overdue),
        (date(2025, 12, 31), State.done),
    ]


def test_the_comprehensive_assessment_of_a_year_is_overdue_on_january_first() -> None:
    items = owed(person(start=date(2024, 1, 1)), date(2026, 1, 1), Obligation.comprehensive_assessment)
    assert [(i.period_start, i.period_end, i.state) for i in items] == [
        (date(2025, 1, 1), date(2025, 12, 31), State.overdue),
        (date(2026, 1, 1), date(2026, 12, 31), State.due),
    ]


# Joining, pauses, status


@pytest.mark.parametrize("weekday", [0, 1, 3])
def test_a_person_who_joins_on_monday_to_thursday_owes_that_week(weekday: int) -> None:
    who = person(start=day(2, weekday))
    assert current(who, day(2, 6), Obligation.meeting).period_start == day(2, 0)


@pytest.mark.parametrize("weekday", [4, 5])
def test_a_person_who_joins_on_friday_or_saturday_owes_nothing_that_week(weekday: int) -> None:
    assert owed(person(start=day(2, weekday)), day(2, 6), Obligation.meeting) == []


def test_a_person_joining_next_week_owes_nothing_for_the_week_before() -> None:
    items = owed(person(start=day(3, 0)), day(3, 2), Obligation.meeting)
    assert [i.period_start for i in items] == [day(3, 0)]


def test_a_week_long_pause_means_no_meeting_is_owed() -> None:
    who = person(pauses=((day(1, 6), day(2, 6)),))
    assert owed(who, day(3, 1), Obligation.meeting)[0].period_start == day(3, 0)


def test_a_pause_over_most_of_a_week_cancels_it_and_a_shorter_one_does_not() -> None:
    long = person(pauses=((day(2, 0), day(2, 3)),))
    short = person(pauses=((day(2, 0), day(2, 2)),))
    assert [i.period_start for i in owed(long, day(2, 5), Obligation.meeting)] == [day(1, 0)]
    assert [i.period_start for i in owed(short, day(2, 5), Obligation.meeting)] == [day(1, 0), day(2, 0)]


def test_overlapping_pauses_are_not_counted_twice() -> None:
    who = person(pauses=((day(2, 0), day(2, 2)), (day(2, 1), day(2, 2))))
    assert who.active_days(day(2, 0), day(2, 6)) == 4


@pytest.mark.parametrize("status", [Status.compulsory_isolation, Status.released, Status.moved_out])
def test_a_person_not_in_community_detox_or_rehab_owes_nothing(status: Status) -> None:
    who = person(Colour.red, status=status)
    assert obligations_on(who, DEFAULT_RULES, day(2, 2), []) == []


def test_after_the_programme_ends_only_an_earlier_period_left_undone_is_listed() -> None:
    items = obligations_on(person(end=date(2025, 6, 30)), DEFAULT_RULES, date(2025, 9, 10), [])
    assert [(i.obligation, i.period_end, i.state) for i in items] == [
        (Obligation.quantitative_assessment, date(2025, 6, 30), State.overdue)
    ]


def test_a_period_mostly_inside_the_programme_is_owed_even_if_the_programme_ends_in_it() -> None:
    who = person(end=date(2025, 8, 31))
    item = current(who, date(2025, 9, 10), Obligation.comprehensive_assessment)
    assert (item.period_end, item.state) == (date(2025, 12, 31), State.due)


def test_a_red_person_still_in_the_community_is_met_twice_a_week() -> None:
    assert current(person(Colour.red), day(2, 2), Obligation.meeting).required == 2


# Colour and programme year


def test_an_upgrade_to_orange_on_wednesday_means_two_meetings_this_week() -> None:
    who = person(Colour.white, changes=((day(2, 2), Colour.orange),))
    item = current(who, day(2, 3), Obligation.meeting)
    assert (item.required, item.colour) == (2, Colour.orange)


def test_before_the_upgrade_the_week_still_asks_for_one_meeting() -> None:
    who = person(Colour.white, changes=((day(2, 2), Colour.orange),))
    assert current(who, day(2, 1), Obligation.meeting).required == 1


def test_a_past_week_keeps_the_colour_it_ended_with() -> None:
    who = person(Colour.white, changes=((day(2, 0), Colour.orange),))
    previous = owed(who, day(2, 2), Obligation.meeting)[0]
    assert (previous.period_start, previous.required, previous.colour) == (day(1, 0), 1, Colour.white)


def test_after_a_change_from_a_monthly_to_a_weekly_rule_the_previous_period_is_the_last_month() -> None:
    rules = RuleSet.from_toml(
        """
        [[rule]]
        obligation = "meeting"
        unit = "month"
        colours = ["white", "blue"]
        [[rule]]
        obligation = "meeting"
        unit = "week"
        colours = ["orange", "red"]
        """
    )
    who = person(Colour.blue, changes=((day(2, 2), Colour.orange),))
    items = owed(who, day(2, 3), Obligation.meeting, rules=rules)
    assert [(i.period_start, i.period_end) for i in items] == [
        (date(2025, 8, 1), date(2025, 8, 31)),
        (day(2, 0), day(2, 6)),
    ]


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2024, 5, 10), date(2024, 5, 1), date(2024, 5, 31)),  # year 1: monthly
        (date(2025, 3, 14), date(2025, 3, 1), date(2025, 3, 31)),  # still year 1
        (date(2025, 5, 10), date(2025, 5, 1), date(2025, 6, 30)),  # year 2: every two months
        (date(2026, 5, 10), date(2026, 4, 1), date(2026, 6, 30)),  # year 3: quarterly
    ],
)
def test_the_county_scheme_tests_less_often_each_programme_year(today: date, start: date, end: date) -> None:
    who = person(start=date(2024, 3, 15))
    item = current(who, today, Obligation.drug_test, rules=COUNTY)
    assert (item.period_start, item.period_end) == (start, end)


def test_the_county_scheme_owes_no_test_after_the_third_year() -> None:
    assert owed(person(start=date(2022, 3, 15)), date(2025, 5, 10), Obligation.drug_test, rules=COUNTY) == []


def test_an_unknown_programme_start_counts_as_the_first_year() -> None:
    item = current(person(start=None), date(2025, 5, 10), Obligation.drug_test, rules=COUNTY)
    assert (item.period_start, item.period_end) == (date(2025, 5, 1), date(2025, 5, 31))


# Rules files and overrides


def test_a_per_person_override_adds_counselling_twice_a_month() -> None:
    override = RuleSet.from_toml('[[rule]]\nobligation = "counselling"\nunit = "month"\ntimes = 2\n')
    rules = DEFAULT_RULES.replaced_by(override)
    done = did(Obligation.counselling, date(2025, 9, 3))
    item = current(person(), date(2025, 9, 10), Obligation.counselling, rules=rules, done=done)
    assert (item.period_end, item.required, item.done, item.state) == (date(2025, 9, 30), 2, 1, State.due)
    assert current(person(), date(2025, 9, 10), Obligation.meeting, rules=rules).required == 1


def test_a_locality_file_replaces_every_default_rule_of_the_obligations_it_names() -> None:
    rules = DEFAULT_RULES.replaced_by(COUNTY)
    assert {r.every for r in rules.for_obligation(Obligation.drug_test)} == {1, 2, 3}
    assert len(rules.for_obligation(Obligation.meeting)) == 2
    item = current(person(start=date(2024, 3, 15)), date(2025, 5, 10), Obligation.drug_test, rules=rules)
    assert item.period_end == date(2025, 6, 30)


def test_a_locality_file_with_replace_all_drops_every_default() -> None:
    locality = RuleSet.from_toml('replace_all = true\n[[rule]]\nobligation = "meeting"\nunit = "month"\n')
    rules = DEFAULT_RULES.replaced_by(locality)
    assert {r.obligation for r in rules.rules} == {Obligation.meeting}


def test_a_person_override_on_a_locality_file_keeps_the_locality_rules_it_does_not_name() -> None:
    locality = RuleSet.from_toml('replace_all = true\n[[rule]]\nobligation = "education"\nunit = "month"\n')
    override = RuleSet.from_toml('[[rule]]\nobligation = "meeting"\nunit = "week"\ntimes = 3\n')
    rules = DEFAULT_RULES.replaced_by(locality).replaced_by(override)
    assert {r.obligation for r in rules.rules} == {Obligation.meeting, Obligation.education}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nobligation = 'visits'\nunit = 'week'", "rule 1 (visits): unknown obligation 'visits'"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\ncolours = ['green']", "unknown colour 'green'"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'day'", "unknown unit 'day'"),
        ("[[rule]]\nobligation = 'drug_test'\nunit = 'month'\nevery = 4", "every=4"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\nevery = 2", "every=2"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\ntimes = 0", "times=0"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\ntimes = '2'", "times must be a whole number"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\nevery = true", "every must be a whole number"),
        (
            "[[rule]]\nobligation = 'meeting'\nunit = 'week'\ncolours = []",
            "colour values must be a non-empty",
        ),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\nprogramme_years = [0]", "programme_years"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\nstatuses = ['free']", "unknown status 'free'"),
        ("[[rule]]\nobligation = 'meeting'\nunit = 'week'\noften = 3", "unknown key(s) often"),
        ("[[rule]]\nobligation = 'meeting'", "unit is missing"),
        ("[[rule]]\nobligation = 'registration'\nunit = 'month'", "registration is owed once"),
        ("[rule]\nobligation = 'meeting'\nunit = 'week'", "write [[rule]], not [rule]"),
        ("rules = []", "unknown top-level key(s) rules"),
        ("replace_all = 'yes'", "replace_all must be true or false"),
        ("[[rule]\nobligation = ", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_refused_with_a_message_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        RuleSet.from_toml(text)
    assert message in str(caught.value)


def test_the_error_names_which_rule_is_wrong() -> None:
    text = "[[rule]]\nobligation = 'education'\nunit = 'month'\n"
    text += "[[rule]]\nobligation = 'meeting'\nunit = 'fortnight'"
    with pytest.raises(RulesError, match=r"^rule 2 \(meeting\): "):
        RuleSet.from_toml(text)


def test_two_rules_that_could_both_apply_to_one_person_are_refused() -> None:
    text = (
        "[[rule]]\nobligation = 'meeting'\nunit = 'week'\n[[rule]]\nobligation = 'meeting'\nunit = 'week'\n"
    )
    with pytest.raises(RulesError, match=r"rules 1 and 2 \(meeting\) both apply"):
        RuleSet.from_toml(text + "colours = ['orange']\ntimes = 2")


# Registration after release, deadlines and order


def test_a_released_person_owes_registration_within_15_days() -> None:
    who = person(status=Status.community_rehab, released_on=date(2025, 9, 1))
    item = current(who, date(2025, 9, 10), Obligation.registration)
    assert (item.period_start, item.due_date, item.state, item.rule) == (
        date(2025, 9, 1),
        date(2025, 9, 15),
        State.due,
        None,
    )


def test_an_unregistered_release_is_overdue_on_the_sixteenth_day_and_stays_listed() -> None:
    who = person(status=Status.community_rehab, released_on=date(2025, 9, 1))
    assert current(who, date(2025, 9, 16), Obligation.registration).state == State.overdue
    assert current(who, date(2025, 12, 1), Obligation.registration).days_overdue(date(2025, 12, 1)) == 77


def test_a_registration_shows_done_until_its_deadline_and_then_drops_off() -> None:
    who = person(status=Status.community_rehab, released_on=date(2025, 9, 1))
    done = did(Obligation.registration, date(2025, 9, 4))
    assert current(who, date(2025, 9, 10), Obligation.registration, done=done).state == State.done
    assert owed(who, date(2025, 9, 16), Obligation.registration, done=done) == []


def test_a_late_registration_still_closes_the_obligation() -> None:
    who = person(status=Status.community_rehab, released_on=date(2025, 9, 1))
    assert (
        owed(
            who,
            date(2025, 10, 20),
            Obligation.registration,
            done=did(Obligation.registration, date(2025, 10, 2)),
        )
        == []
    )


@pytest.mark.parametrize(
    "who",
    [
        person(status=Status.community_detox, released_on=date(2025, 9, 1)),
        person(status=Status.community_rehab),
        person(status=Status.compulsory_isolation, released_on=date(2025, 9, 1)),
    ],
)
def test_registration_is_owed_only_after_release_into_community_rehab(who: PersonFacts) -> None:
    assert owed(who, date(2025, 9, 10), Obligation.registration) == []


def test_registration_is_not_owed_before_the_release_date() -> None:
    who = person(status=Status.community_rehab, released_on=date(2025, 9, 20))
    assert owed(who, date(2025, 9, 10), Obligation.registration) == []


def test_a_registration_window_ending_in_the_national_day_break_is_due_after_it() -> None:
    who = person(status=Status.community_rehab, released_on=date(2025, 9, 17))
    assert current(who, date(2025, 9, 20), Obligation.registration, calendar=CN).due_date == date(2025, 10, 9)


def test_a_week_ending_in_the_national_day_break_is_due_on_the_first_working_day_after() -> None:
    week = (date(2025, 9, 29), date(2025, 10, 5))
    on_the_8th = owed(person(), date(2025, 10, 8), Obligation.meeting, calendar=CN)[0]
    on_the_10th = owed(person(), date(2025, 10, 10), Obligation.meeting, calendar=CN)[0]
    assert ((on_the_8th.period_start, on_the_8th.period_end), on_the_8th.due_date) == (
        week,
        date(2025, 10, 9),
    )
    assert (on_the_8th.state, on_the_10th.state) == (State.due, State.overdue)


def test_a_month_ending_on_a_sunday_is_due_on_monday() -> None:
    item = current(person(), date(2025, 11, 5), Obligation.thought_report, calendar=CN)
    assert item.due_date == date(2025, 12, 1)


def test_a_swapped_working_sunday_is_itself_the_deadline() -> None:
    item = current(person(), date(2025, 9, 24), Obligation.meeting, calendar=CN)
    assert item.due_date == date(2025, 9, 28)


def test_items_are_sorted_overdue_first_then_by_due_date_then_by_obligation() -> None:
    items = obligations_on(person(Colour.orange), DEFAULT_RULES, date(2025, 10, 2), [])
    keys = [(i.state != State.overdue, i.due_date, list(Obligation).index(i.obligation)) for i in items]
    assert keys == sorted(keys)
    assert [i.obligation for i in items if i.state == State.overdue] == [
        Obligation.quantitative_assessment,  # first half-year, due June 30
        Obligation.meeting,  # last week, due Sunday September 28
        Obligation.drug_test,  # September, due September 30
        Obligation.education,
        Obligation.thought_report,
    ]


# Which record satisfies which obligation


@pytest.mark.parametrize(
    ("kind", "subkind", "result", "expected"),
    [
        ("visit", "home", None, Obligation.meeting),
        ("visit", "station", None, Obligation.meeting),
        ("visit", "phone", None, None),
        ("visit", "home", "stable", Obligation.meeting),
        ("visit", "home", "not_met", None),  # 未见到本人: an attempt, no meeting
        ("drug_test", "urine", "negative", Obligation.drug_test),
        ("drug_test", "urine", "positive", Obligation.drug_test),
        ("drug_test", "urine", "refused", None),
        ("drug_test", "urine", "absent", None),
        ("drug_test", "hair", "invalid", None),
        ("education", None, None, Obligation.education),
        ("thought_report", None, None, Obligation.thought_report),
        ("assessment", "quantitative", None, Obligation.quantitative_assessment),
        ("assessment", "comprehensive", "blue", Obligation.comprehensive_assessment),
        ("assessment", None, None, None),
        ("counselling", None, None, Obligation.counselling),
        ("registration", None, None, Obligation.registration),
        ("help", "job", None, None),
        ("note", None, None, None),
    ],
)
def test_a_record_satisfies_the_matching_obligation(
    kind: str, subkind: str | None, result: str | None, expected: Obligation | None
) -> None:
    assert obligation_of(kind, subkind, result) == expected


# Person facts


def test_the_colour_in_force_is_the_last_change_on_or_before_the_day() -> None:
    who = person(Colour.blue, changes=((date(2025, 5, 1), Colour.orange), (date(2025, 8, 1), Colour.white)))
    assert [
        who.colour_on(d) for d in (date(2019, 1, 1), date(2025, 5, 1), date(2025, 7, 31), date(2025, 8, 1))
    ] == [
        Colour.blue,
        Colour.orange,
        Colour.orange,
        Colour.white,
    ]


def test_a_person_needs_a_colour() -> None:
    with pytest.raises(ValueError, match="colour_history"):
        PersonFacts(Status.community_detox, (), None, None)


def test_the_programme_year_turns_on_the_anniversary_of_the_start() -> None:
    who = person(start=date(2024, 3, 15))
    assert [who.programme_year(d) for d in (date(2025, 3, 14), date(2025, 3, 15), date(2027, 3, 15))] == [
        1,
        2,
        4,
    ]


# A missed period stays overdue until the overdue ladder has run


def _kept(who: PersonFacts, today: date, done: Iterable[DoneFact] = (), kept: int = 7) -> list[DueItem]:
    items = obligations_on(
        who, DEFAULT_RULES, today, done, is_working_day=CN.is_working_day, overdue_kept_days=kept
    )
    return sorted((i for i in items if i.obligation == Obligation.meeting), key=lambda i: i.period_start)


def test_a_missed_week_is_still_overdue_on_day_seven_in_the_week_after_next() -> None:
    # The week of 2 March 2026 ends on Sunday: due Monday 9 March; day 7 is Monday 16 March.
    who = person(Colour.blue)
    met = did(Obligation.meeting, date(2026, 3, 10), date(2026, 3, 16))
    [late, this_week] = _kept(who, date(2026, 3, 16), met)
    assert (late.period_start, late.state, late.days_overdue(date(2026, 3, 16))) == (
        date(2026, 3, 2),
        State.overdue,
        7,
    )
    assert this_week.period_start == date(2026, 3, 16) and this_week.state == State.done
    assert [i.period_start for i in _kept(who, date(2026, 3, 17), met)] == [date(2026, 3, 16)]  # day 8
    assert [i.period_start for i in _kept(who, date(2026, 3, 16), met, kept=0)] == [date(2026, 3, 16)]


def test_an_older_week_keeps_the_rule_of_the_colour_it_ended_with_and_done_ones_are_not_listed() -> None:
    # Orange (two a week) until Tuesday 10 March, blue since: the week of 2 March owed two.
    who = person(Colour.orange, changes=((date(2026, 3, 10), Colour.blue),))
    items = _kept(who, date(2026, 3, 16), did(Obligation.meeting, date(2026, 3, 3), date(2026, 3, 11)))
    assert [(i.period_start, i.required, i.done, i.colour) for i in items] == [
        (date(2026, 3, 2), 2, 1, Colour.orange),
        (date(2026, 3, 16), 1, 0, Colour.blue),
    ]
    met_twice = did(Obligation.meeting, date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 11))
    assert [i.period_start for i in _kept(who, date(2026, 3, 16), met_twice)] == [date(2026, 3, 16)]


def test_a_week_missed_before_a_long_holiday_is_kept_until_the_first_working_day_after() -> None:
    # Due Monday 28 September 2026; day 7 (5 October) is in the National Day holidays: kept to 8 October.
    who = person(Colour.blue)
    met = did(Obligation.meeting, date(2026, 9, 29), date(2026, 10, 8))
    assert _kept(who, date(2026, 10, 8), met)[0].period_start == date(2026, 9, 21)
    assert date(2026, 9, 21) not in [i.period_start for i in _kept(who, date(2026, 10, 9), met)]

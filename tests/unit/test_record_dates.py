"""When a record happened (models.record_dates): the window, today and yesterday, the late flag,
and the period a back-dated record counts for (models.schedule)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.people import Colour, Status
from models.record_dates import is_late, moment_of, previous_period_start, window
from models.schedule import DEFAULT_RULES, DoneFact, Obligation, PersonFacts, State, obligations_on

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_the_default_window_is_thirty_days_counting_today():
    days = window(TODAY, 30)
    assert days.days == 30 and days.earliest == date(2026, 2, 3)
    assert days.refusal(date(2026, 2, 3)) is None
    assert days.refusal(date(2026, 2, 2)) == "too_old"


def test_a_day_after_today_is_refused_as_future():
    assert window(TODAY, 30).refusal(date(2026, 3, 5)) == "future"


def test_a_locality_sets_a_shorter_window():
    assert window(TODAY, 7).refusal(date(2026, 2, 25)) == "too_old"
    assert window(TODAY, 7).refusal(date(2026, 2, 26)) is None


def test_nothing_before_the_programme_start_or_release_is_offered():
    days = window(TODAY, 30, floors=(date(2025, 1, 6), date(2026, 2, 25)))
    assert days.earliest == date(2026, 2, 25) and days.floor == date(2026, 2, 25)
    assert days.refusal(date(2026, 2, 24)) == "before_start"


def test_the_picker_starts_with_today_and_yesterday_a_week_a_page():
    days = window(TODAY, 30)
    assert days.page(0)[:2] == (TODAY, date(2026, 3, 3)) and len(days.page(0)) == 7
    assert days.pages == 5 and days.page(4) == (date(2026, 2, 4), date(2026, 2, 3))
    every = [day for page in range(days.pages) for day in days.page(page)]
    assert len(every) == len(set(every)) == 30


def test_an_assessment_reaches_back_into_its_previous_period():
    half_year = DEFAULT_RULES.for_obligation(Obligation.quantitative_assessment)
    year = DEFAULT_RULES.for_obligation(Obligation.comprehensive_assessment)
    assert previous_period_start(half_year, TODAY) == date(2025, 7, 1)
    assert previous_period_start(year, TODAY) == date(2025, 1, 1)
    days = window(TODAY, 30, reach_back_to=date(2025, 7, 1))
    assert days.refusal(date(2025, 12, 20)) is None and days.refusal(date(2025, 6, 30)) == "too_old"


def test_today_is_now_and_another_day_is_its_local_noon():
    assert moment_of(TODAY, today=TODAY, now=NOW, tz=TZ) == NOW
    assert moment_of(date(2026, 3, 3), today=TODAY, now=NOW, tz=TZ) == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)


def test_yesterday_filed_this_morning_is_not_late_three_days_ago_is():
    yesterday = moment_of(date(2026, 3, 3), today=TODAY, now=NOW, tz=TZ)
    three_days = moment_of(date(2026, 3, 1), today=TODAY, now=NOW, tz=TZ)
    assert not is_late(yesterday, NOW) and is_late(three_days, NOW)


def test_late_means_more_than_48_hours_after_it_happened():
    happened = NOW - timedelta(hours=48)
    assert not is_late(happened, NOW) and is_late(happened - timedelta(seconds=1), NOW)


def _facts() -> PersonFacts:
    return PersonFacts(Status.community_detox, ((date(2025, 1, 6), Colour.blue),), date(2025, 1, 6), None)


def _assessment(done: tuple[DoneFact, ...]) -> list:
    items = obligations_on(_facts(), DEFAULT_RULES, TODAY, done)
    return [i for i in items if i.obligation == Obligation.quantitative_assessment]


def test_a_missed_half_year_is_overdue_until_a_record_dated_in_it():
    [previous, _current] = sorted(_assessment(()), key=lambda i: i.period_start)
    assert previous.state == State.overdue and previous.period_start == date(2025, 7, 1)
    [current_only] = _assessment((DoneFact(Obligation.quantitative_assessment, date(2025, 12, 20)),))
    assert current_only.period_start == date(2026, 1, 1) and current_only.state == State.due


def test_a_record_dated_today_counts_for_the_current_period_not_the_missed_one():
    items = _assessment((DoneFact(Obligation.quantitative_assessment, TODAY),))
    states = {i.period_start: i.state for i in items}
    assert states == {date(2025, 7, 1): State.overdue, date(2026, 1, 1): State.done}


def test_the_window_is_a_setting_of_the_locality():
    from bot.app import policy_from
    from bot.config import Settings

    assert policy_from(Settings()).record_window_days == 30
    assert policy_from(Settings(record_window_days=10)).record_window_days == 10

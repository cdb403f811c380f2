"""The schedule each person is held to, as pure date rules (no database, no clock, no I/O).

`obligations_on` says, for one person on one day, which periods are open, by when they are due
and whether they are done. Everything is computed from dates only: local dates in, local dates
out. The rules themselves (what is owed how often, by colour and programme year) are data, in
`models.schedule_rules`, re-exported here so callers need one import.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache, partial

from models.people import Colour, Status
from models.records import FACE_TO_FACE, NOT_MET, TAKEN_RESULTS, AssessmentKind, RecordKind
from models.schedule_rules import (
    DEFAULT_RULES,
    MONTH_MULTIPLES,
    Obligation,
    Rule,
    RulesError,
    RuleSet,
    Unit,
    period_of,
)

__all__ = [
    "DEFAULT_RULES",
    "MONTH_MULTIPLES",
    "REGISTRATION_DAYS",
    "DoneFact",
    "DueItem",
    "Obligation",
    "PersonFacts",
    "Rule",
    "RuleSet",
    "RulesError",
    "State",
    "Unit",
    "counted_since",
    "every_day_works",
    "obligation_of",
    "obligations_on",
    "older_periods",
    "period_of",
    "record_kind_of",
    "stable_until",
]

REGISTRATION_DAYS = 15  # 戒毒条例: report within 15 days of release
_ORDER = {obligation: n for n, obligation in enumerate(Obligation)}


class State(StrEnum):
    done = "done"
    due = "due"
    overdue = "overdue"


@dataclass(frozen=True)
class PersonFacts:
    """What the schedule needs to know of one person; the caller reads it from the database.

    `colour_history` is (from_date, colour) ascending; before its first date the first colour
    holds, since a person always has a colour. `pauses` are inclusive ranges when nothing accrues
    (hospital, detention, temporarily away). `status` is the current one: the schedule does not
    replay status changes, so a person no longer active owes nothing, not even an overdue period.
    """

    status: Status
    colour_history: tuple[tuple[date, Colour], ...]
    programme_start: date | None
    programme_end: date | None
    released_on: date | None = None
    pauses: tuple[tuple[date, date], ...] = ()
    _colour_days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        days = tuple(day for day, _ in self.colour_history)
        if not days:
            raise ValueError("colour_history needs at least one (date, colour) entry")
        if list(days) != sorted(days):
            raise ValueError("colour_history must be in ascending date order")
        if any(start > end for start, end in self.pauses):
            raise ValueError("a pause must not end before it starts")
        object.__setattr__(self, "_colour_days", days)

    def colour_on(self, day: date) -> Colour:
        """The colour in force on `day`: the last change on or before it."""
        return self.colour_history[max(bisect_right(self._colour_days, day) - 1, 0)][1]

    def programme_year(self, day: date) -> int:
        """1 in the first 12 months from programme_start, 2 in the next 12, ...

        Before the start, or with no start recorded, the person counts as in year 1: the first
        year has the strictest schedule in every published scheme, and a missing date should
        make work visible rather than hide it.
        """
        start = self.programme_start
        if start is None or day < start:
            return 1
        return day.year - start.year - ((day.month, day.day) < (start.month, start.day)) + 1

    def active_days(self, start: date, end: date) -> int:
        """Days of [start, end] inside the programme and outside every pause."""
        low = max(start, self.programme_start or start)
        high = min(end, self.programme_end or end)
        if low > high:
            return 0
        paused, cursor = 0, low  # cursor: the first day no pause has counted yet
        for pause_start, pause_end in sorted(self.pauses):
            first, last = max(pause_start, cursor), min(pause_end, high)
            if first <= last:
                paused += (last - first).days + 1
                cursor = last + timedelta(days=1)
        return (high - low).days + 1 - paused

    def owes(self, start: date, end: date) -> bool:
        """A period is owed if the person is active on more than half of its days.

        So joining on a Monday to Thursday owes that week and joining on Saturday does not,
        and a pause covering most of a period cancels it, without pro-rating `times`.
        """
        return 2 * self.active_days(start, end) > (end - start).days + 1


@dataclass(frozen=True)
class DoneFact:
    """One record that satisfies an obligation, on its local date."""

    obligation: Obligation
    on: date


_DIRECT = {
    RecordKind.education.value: Obligation.education,
    RecordKind.thought_report.value: Obligation.thought_report,
    RecordKind.counselling.value: Obligation.counselling,
    RecordKind.registration.value: Obligation.registration,
}
_ASSESSMENTS = {
    AssessmentKind.quantitative.value: Obligation.quantitative_assessment,
    AssessmentKind.comprehensive.value: Obligation.comprehensive_assessment,
}


def obligation_of(kind: str, subkind: str | None, result: str | None) -> Obligation | None:
    """Which obligation a record satisfies, if any.

    A phone call or a visit that did not find the person (未见到本人) is no meeting, and a refused,
    invalid or missed test is no test: they are recorded (and may alert) but the obligation stays open.
    """
    if kind == RecordKind.visit:
        return Obligation.meeting if subkind in FACE_TO_FACE and result != NOT_MET else None
    if kind == RecordKind.drug_test:
        return Obligation.drug_test if result in TAKEN_RESULTS else None
    if kind == RecordKind.assessment:
        return _ASSESSMENTS.get(subkind or "")
    return _DIRECT.get(kind)


def record_kind_of(obligation: Obligation) -> RecordKind:
    """The kind of record that may satisfy an obligation (`obligation_of` read backwards)."""
    for kind, direct in _DIRECT.items():
        if direct == obligation:
            return RecordKind(kind)
    if obligation in _ASSESSMENTS.values():
        return RecordKind.assessment
    return RecordKind.visit if obligation == Obligation.meeting else RecordKind.drug_test


@dataclass(frozen=True)
class DueItem:
    """One period of one obligation: what is required, what is done, and by when."""

    obligation: Obligation
    period_start: date
    period_end: date
    due_date: date  # period_end, moved to the next working day if it is a rest day
    required: int
    done: int
    state: State
    rule: Rule | None  # None only for the one-off registration after release
    colour: Colour  # the colour the rule was chosen for

    def days_overdue(self, today: date) -> int:
        """Whole days past the deadline; 0 when done or not yet late (what alerts escalate on)."""
        if self.state == State.done or today <= self.due_date:
            return 0
        return (today - self.due_date).days


def every_day_works(day: date) -> bool:
    """The default calendar: no rest days, so a deadline is the period's last day."""
    return True


def obligations_on(
    person: PersonFacts,
    rules: RuleSet,
    today: date,
    done: Iterable[DoneFact],
    *,
    is_working_day: Callable[[date], bool] = every_day_works,
    overdue_kept_days: int = 0,
) -> list[DueItem]:
    """For each obligation: the period containing `today`, the previous one if still open, and
    older ones still open for `overdue_kept_days` after their deadline.

    - The rule for a period is chosen by the colour and programme year on the period's last day
      or today, whichever comes first: a change applies to the period in progress (an upgrade to
      orange on Wednesday means two meetings this week), and a past period keeps the colour it
      ended with.
    - A period is owed only if the person is in the programme (status in the rule's statuses,
      between programme_start and programme_end) and not paused on more than half of its days.
    - Done counts the facts dated inside the period; `due_date` gives a grace for filing when
      the period ends on a rest day, it does not stretch the period.
    - The previous period is listed only if owed and not done (due on its deadline day, then
      overdue). A registration is owed within 15 days of release from isolation.
    - Periods before the previous one are listed, if owed and not done, until the first working
      day on or after their deadline + `overdue_kept_days` (`older_periods`), so that a missed
      week climbs the whole overdue ladder (day 7 is in the next week's week); each keeps its own
      rule and colour (chosen on its last day) and ends before the previous (or current) period.
    Sorted overdue first, then by due date, then in `Obligation` order, then by period (two weeks
    can share a deadline after a long holiday).
    """
    dates: dict[Obligation, list[date]] = defaultdict(list)
    for fact in done:
        dates[fact.obligation].append(fact.on)
    for days in dates.values():
        days.sort()
    items: list[DueItem] = []
    for obligation in Obligation:
        own = rules.for_obligation(obligation)
        if own:
            found = _calendar_items(person, own, today, dates[obligation], is_working_day, overdue_kept_days)
            items.extend(found)
    registration = _registration_item(person, today, dates[Obligation.registration], is_working_day)
    if registration:
        items.append(registration)
    return sorted(
        items, key=lambda i: (i.state != State.overdue, i.due_date, _ORDER[i.obligation], i.period_start)
    )


def stable_until(
    person: PersonFacts,
    rules: RuleSet,
    today: date,
    *,
    is_working_day: Callable[[date], bool] = every_day_works,
    overdue_kept_days: int = 0,
) -> date:
    """The first day after `today` on which `obligations_on` may list other periods than today.

    Until then its items stay the same but for their state (due or overdue, read off the date): so
    the state kept for `today` holds. A record, a colour or a pause written later changes the facts
    and is applied when written; this is about the passing of days alone:
    - a new period of any rule starts (the current one becomes the previous, a rule is chosen anew);
    - an older period listed today reaches the end of its `older_periods` listing;
    - the current period's rule is chosen on today's colour and programme year: a colour change
      dated later, or the next anniversary of the programme start;
    - the registration is owed from the day of release, and a done one drops off after its deadline.
    """
    roll = partial(_roll_forward, is_working_day=is_working_day)
    days: list[date] = []
    for rule in rules.rules:
        _, end = period_of(rule.unit, rule.every, today)
        days.append(end + timedelta(days=1))
        for _, older_end in older_periods(rule, today, overdue_kept_days, is_working_day):
            days.append(roll(roll(older_end) + timedelta(days=overdue_kept_days)) + timedelta(days=1))
    days.extend(day for day in person._colour_days if day > today)
    if person.programme_start is not None:
        days.append(_next_anniversary(person.programme_start, today))
    released = person.released_on
    if released is not None:
        if released > today:
            days.append(released)
        else:
            deadline = roll(released + timedelta(days=REGISTRATION_DAYS - 1))
            if deadline >= today:
                days.append(deadline + timedelta(days=1))
    return min((day for day in days if day > today), default=today + timedelta(days=366))


def counted_since(
    rules: RuleSet,
    today: date,
    *,
    is_working_day: Callable[[date], bool] = every_day_works,
    overdue_kept_days: int = 0,
) -> dict[Obligation, date]:
    """Per obligation with rules, the first day of the earliest period `obligations_on` may list
    today: a record dated before it counts for nothing then (the registration counts from release)."""
    since: dict[Obligation, date] = {}
    for rule in rules.rules:
        start, _ = _previous(rule, today)
        older = older_periods(rule, today, overdue_kept_days, is_working_day)
        if older:
            start = min(start, older[-1][0])
        since[rule.obligation] = min(since.get(rule.obligation, start), start)
    return since


def _next_anniversary(start: date, today: date) -> date:
    """The first day after `today` on which `programme_year` goes up (1 March for 29 February)."""
    for year in range(max(today.year, start.year + 1), max(today.year, start.year + 1) + 2):
        try:
            day = date(year, start.month, start.day)
        except ValueError:
            day = date(year, 3, 1)
        if day > today:
            return day
    raise AssertionError("unreachable: one of two consecutive years has the day after today")


@dataclass(frozen=True)
class _Period:
    obligation: Obligation
    start: date
    end: date
    required: int
    rule: Rule | None
    colour: Colour


def _matching(
    person: PersonFacts, rules: tuple[Rule, ...], today: date, period: Callable[[Rule], tuple[date, date]]
) -> list[_Period]:
    found = []
    for rule in rules:
        start, end = period(rule)
        decisive = min(end, today)
        colour = person.colour_on(decisive)
        if rule.applies(person.status, colour, person.programme_year(decisive)):
            found.append(_Period(rule.obligation, start, end, rule.times, rule, colour))
    return found


@lru_cache(maxsize=4096)
def _previous(rule: Rule, today: date) -> tuple[date, date]:
    start, _ = period_of(rule.unit, rule.every, today)
    return period_of(rule.unit, rule.every, start - timedelta(days=1))


def older_periods(
    rule: Rule, today: date, kept_days: int, is_working_day: Callable[[date], bool]
) -> list[tuple[date, date]]:
    """The periods of `rule` before its previous one still listed today, latest first.

    A period is listed until the first working day on or after its deadline + `kept_days`, so
    the ladder's rungs, which run on working days, all see it (a rung due in a holiday catches up
    on the next working day). The same for every person, so worked out once per day and rule.
    """
    return list(_older_periods(rule, today, kept_days, is_working_day))


@lru_cache(maxsize=4096)
def _older_periods(
    rule: Rule, today: date, kept_days: int, is_working_day: Callable[[date], bool]
) -> tuple[tuple[date, date], ...]:
    found = []
    start, _ = _previous(rule, today)
    for _ in range(60):  # a bound, not a limit: weeks, with kept_days of a few weeks at most
        start, end = period_of(rule.unit, rule.every, start - timedelta(days=1))
        due = _roll_forward(end, is_working_day)
        if _roll_forward(due + timedelta(days=kept_days), is_working_day) < today:
            break
        found.append((start, end))
    return tuple(found)


def _older(
    person: PersonFacts,
    rules: tuple[Rule, ...],
    today: date,
    floor: date | None,
    kept_days: int,
    is_working_day: Callable[[date], bool],
) -> list[_Period]:
    """The earlier periods (`older_periods`) that end before `floor` and whose rule applies."""
    found = []
    for rule in rules:
        for start, end in older_periods(rule, today, kept_days, is_working_day):
            if floor is not None and end >= floor:
                continue
            colour = person.colour_on(end)
            if rule.applies(person.status, colour, person.programme_year(end)):
                found.append(_Period(rule.obligation, start, end, rule.times, rule, colour))
    return found


def _calendar_items(
    person: PersonFacts,
    rules: tuple[Rule, ...],
    today: date,
    days: list[date],
    is_working_day: Callable[[date], bool],
    kept_days: int = 0,
) -> list[DueItem]:
    # RuleSet validation leaves at most one rule matching on one day, so `current` is unique.
    current = next(iter(_matching(person, rules, today, lambda r: period_of(r.unit, r.every, today))), None)
    # Rules of one obligation may differ in unit (weekly for orange, monthly for blue); after a
    # change the latest earlier period that does not overlap the current one is the previous.
    earlier = [
        p
        for p in _matching(person, rules, today, lambda r: _previous(r, today))
        if current is None or p.end < current.start
    ]
    previous = max(earlier, key=lambda p: p.end, default=None)
    floor = previous.start if previous else current.start if current else None
    older = _older(person, rules, today, floor, kept_days, is_working_day)
    items = []
    for period, keep_done in [*((p, False) for p in older), (previous, False), (current, True)]:
        if period is None or not person.owes(period.start, period.end):
            continue
        count = bisect_right(days, period.end) - bisect_left(days, period.start)
        item = _item(period, count, today, is_working_day)
        if keep_done or item.state != State.done:
            items.append(item)
    return items


def _registration_item(
    person: PersonFacts, today: date, days: list[date], is_working_day: Callable[[date], bool]
) -> DueItem | None:
    """报到 after release from isolation: a late registration still counts, once registered it drops off."""
    released = person.released_on
    if person.status != Status.community_rehab or released is None or today < released:
        return None
    end = released + timedelta(days=REGISTRATION_DAYS - 1)
    count = len(days) - bisect_left(days, released)
    period = _Period(Obligation.registration, released, end, 1, None, person.colour_on(min(end, today)))
    item = _item(period, count, today, is_working_day)
    return None if item.state == State.done and today > item.due_date else item


def _item(period: _Period, count: int, today: date, is_working_day: Callable[[date], bool]) -> DueItem:
    due = _roll_forward(period.end, is_working_day)
    required = period.required
    state = State.done if count >= required else State.overdue if today > due else State.due
    return DueItem(
        period.obligation, period.start, period.end, due, required, count, state, period.rule, period.colour
    )


@lru_cache(maxsize=8192)  # a few deadlines a day, asked for every person
def _roll_forward(day: date, is_working_day: Callable[[date], bool]) -> date:
    for offset in range(367):
        candidate = day + timedelta(days=offset)
        if is_working_day(candidate):
            return candidate
    raise ValueError(f"no working day within a year after {day.isoformat()}")

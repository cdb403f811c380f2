"""The few calendar windows every person's obligations fall into today, worked out once in Python.

Periods are calendar-aligned (weeks Monday–Sunday, months, multi-month blocks counted from
January), so on a given day the current and the previous period of each rule are the same for
everybody. A city's obligations therefore live in a handful of windows: their deadlines (the
period's last day, moved to the next working day) and their UTC bounds are computed here, per
window, not per person; models.services.obligations.sql then asks the database, per person, only
what differs between people: colour, programme year, pauses and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from models.policy import Policy
from models.schedule import Obligation, Rule, RuleSet, older_periods, period_of

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01: the integer the SQL compares and subtracts dates as."""
    return (day - EPOCH).days


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment a local day begins (records are stored in UTC, periods are local)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """One calendar period some rule is evaluated over today."""

    id: int
    start: date
    end: date
    due: date  # `end`, rolled forward to a working day
    lo: datetime  # UTC start of `start`
    hi: datetime  # UTC start of the day after `end`
    decisive: int  # index into Plan.decisive: the day whose colour and programme year choose the rule

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Choice:
    """A rule of an obligation with its period window, current or previous."""

    index: int  # position among the obligation's rules (RuleSet order)
    rule: Rule
    window: Window


@dataclass(frozen=True)
class ObligationPlan:
    """One obligation's rules, each with its current and previous window, and the older windows
    still listed while open (models.schedule.older_periods), grouped by window."""

    obligation: Obligation
    current: tuple[Choice, ...]
    previous: tuple[Choice, ...]  # ordered as the pure rules pick: latest end first, then rule order
    older: tuple[tuple[Choice, ...], ...] = ()  # per window, the rules whose older period it is

    def later_than_current(self, choice: Choice) -> tuple[int, ...]:
        """The current rule indexes whose period starts after `choice`'s previous period ends."""
        return tuple(c.index for c in self.current if choice.window.end < c.window.start)


@dataclass(frozen=True)
class Plan:
    """Everything about today's obligations that is the same for every person."""

    today: date
    windows: tuple[Window, ...]
    decisive: tuple[date, ...]  # distinct days on which colours and programme years are read
    obligations: tuple[ObligationPlan, ...]
    years_cap: int  # programme years above this are all alike to the rules (0: no rule asks)
    since: datetime  # the oldest record that can count (the naive loader's look-back)


def _previous(rule: Rule, today: date) -> tuple[date, date]:
    start, _ = period_of(rule.unit, rule.every, today)
    return period_of(rule.unit, rule.every, start - timedelta(days=1))


@lru_cache(maxsize=32)  # pure, and the same all day: computed once per rule set and day (≈1.4 ms)
def make_plan(rules: RuleSet, today: date, policy: Policy, lookback: timedelta, kept_days: int = 0) -> Plan:
    """The windows, decisive days and per-obligation choices for `today` under `rules`
    (`kept_days`: how long an older open period stays listed, as in `obligations_on`)."""
    windows: dict[tuple[date, date], Window] = {}
    decisive: dict[date, int] = {today: 0}

    def window(bounds: tuple[date, date]) -> Window:
        found = windows.get(bounds)
        if found is None:
            start, end = bounds
            day = min(end, today)
            slot = decisive.setdefault(day, len(decisive))
            due = policy.calendar.roll_forward(end)
            lo, hi = local_midnight(start, policy.tz), local_midnight(end + timedelta(days=1), policy.tz)
            found = windows[bounds] = Window(len(windows), start, end, due, lo, hi, slot)
        return found

    plans = []
    for obligation in Obligation:
        own = rules.for_obligation(obligation)
        if not own:
            continue
        current = tuple(Choice(i, r, window(period_of(r.unit, r.every, today))) for i, r in enumerate(own))
        previous = tuple(Choice(i, r, window(_previous(r, today))) for i, r in enumerate(own))
        # max(key=end) keeps the first of equal ends: latest end first, then rule order.
        ordered = tuple(sorted(previous, key=lambda c: (-c.window.end.toordinal(), c.index)))
        older: dict[Window, list[Choice]] = {}
        for i, r in enumerate(own):
            for bounds in older_periods(r, today, kept_days, policy.calendar.is_working_day):
                w = window(bounds)
                older.setdefault(w, []).append(Choice(i, r, w))
        groups = tuple(tuple(group) for group in older.values())
        plans.append(ObligationPlan(obligation, current, ordered, groups))
    years = [y for r in rules.rules if r.programme_years for y in r.programme_years]
    since = datetime.combine(today - lookback, time(), tzinfo=UTC)
    return Plan(
        today=today,
        windows=tuple(windows.values()),
        decisive=tuple(sorted(decisive, key=decisive.__getitem__)),
        obligations=tuple(plans),
        years_cap=max(years) + 1 if years else 0,
        since=since,
    )


def years_back(day: date, years: int) -> date:
    """`day` moved back whole years (29 February becomes the 28th): programme anniversaries.

    `PersonFacts.programme_year(day) > k` exactly when programme_start <= years_back(day, k).
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)

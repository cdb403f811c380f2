"""The schedule's rules as data: obligations, calendar periods, and the rules files that set them.

Every number in the domain README's schedule is configurable per locality and per person, so
the rules are TOML (`[[rule]]` tables) parsed strictly here: a rules file with a typo must fail
loudly when it is loaded, not silently drop an obligation. The built-in defaults are
`default_rules.toml` beside this module. `models.schedule` applies the rules to a person.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files
from typing import Any, TypeVar

from models.people import ACTIVE_STATUSES, Colour, Status


class Obligation(StrEnum):
    """Something a person owes in a period; declaration order is the display order."""

    meeting = "meeting"  # 见面: face to face with the worker
    drug_test = "drug_test"  # 吸毒检测
    education = "education"  # 法制教育
    thought_report = "thought_report"  # 思想汇报
    quantitative_assessment = "quantitative_assessment"  # 量化评估
    comprehensive_assessment = "comprehensive_assessment"  # 综合评估
    counselling = "counselling"  # 心理咨询
    registration = "registration"  # 报到, within 15 days of release from isolation


class Unit(StrEnum):
    week = "week"  # Monday to Sunday
    month = "month"  # calendar months, grouped from January by `every`


class RulesError(ValueError):
    """A rules file or rule that cannot be applied; the message names the rule and the fix."""


MONTH_MULTIPLES = (1, 2, 3, 6, 12)


@lru_cache(maxsize=8192)  # pure, and asked the same for every person of a city on a day
def period_of(unit: Unit | str, every: int, day: date) -> tuple[date, date]:
    """The calendar period (inclusive start, end) of `every` units that contains `day`.

    Multi-month periods are aligned to the calendar year (every=2: Jan–Feb, Mar–Apr, ...;
    every=3: quarters; 6: half-years; 12: the year) so that everybody's period, every report and
    every supervisor's digest agree on the same boundaries.
    """
    if unit == Unit.week:
        if every != 1:
            raise ValueError(f"a week period has every=1, not {every}")
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if unit == Unit.month:
        if every not in MONTH_MULTIPLES:
            raise ValueError(f"a month period has every in {MONTH_MULTIPLES}, not {every}")
        first = (day.month - 1) // every * every + 1
        last = first + every - 1  # 1..12
        end = date(day.year + last // 12, last % 12 + 1, 1) - timedelta(days=1)
        return date(day.year, first, 1), end
    raise ValueError(f"unknown period unit {unit!r}")


@dataclass(frozen=True)
class Rule:
    """How often one obligation is owed, and to whom (None: any colour / any programme year).

    `programme_years` counts from the programme start: year 1 is the first 12 months.
    """

    obligation: Obligation
    unit: Unit
    every: int = 1
    times: int = 1
    colours: frozenset[Colour] | None = None
    programme_years: frozenset[int] | None = None
    statuses: frozenset[Status] = frozenset(ACTIVE_STATUSES)

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise RulesError(f"{self.obligation} rule: {problem}")

    def _problem(self) -> str | None:
        # Plain strings are accepted and stored as the enums, so a rule always compares and prints alike.
        for name, enum in (("obligation", Obligation), ("unit", Unit)):
            try:
                object.__setattr__(self, name, enum(getattr(self, name)))
            except ValueError:
                return f"unknown {name} {getattr(self, name)!r}; expected one of {_names(enum)}"
        if self.obligation == Obligation.registration:
            return "registration is owed once after release from isolation and is not set by rules"
        if self.unit == Unit.week and self.every != 1:
            return f"every={self.every}, but a week rule must have every=1"
        if self.unit == Unit.month and self.every not in MONTH_MULTIPLES:
            return f"every={self.every}, but a month rule must have every in 1, 2, 3, 6, 12"
        if self.times < 1:
            return f"times={self.times}, but it must be at least 1"
        if self.colours is not None and not self.colours:
            return "colours is empty; leave it out to mean any colour"
        if self.programme_years is not None and (not self.programme_years or min(self.programme_years) < 1):
            return "programme_years must list years counted from 1; leave it out to mean any year"
        if not self.statuses:
            return "statuses is empty; leave it out to mean the active statuses"
        return None

    def applies(self, status: Status, colour: Colour, programme_year: int) -> bool:
        """Whether a person in this status, colour and programme year is held to this rule."""
        return (
            status in self.statuses
            and (self.colours is None or colour in self.colours)
            and (self.programme_years is None or programme_year in self.programme_years)
        )


def _names(enum: Iterable[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


@dataclass(frozen=True)
class RuleSet:
    """The rules in force. At most one rule per obligation may apply to any colour, year and status.

    `replace_all` marks a layer (a locality's file) that drops every rule beneath it in `replaced_by`.
    """

    rules: tuple[Rule, ...] = ()
    replace_all: bool = False

    def __post_init__(self) -> None:
        for i, a in enumerate(self.rules):
            for j in range(i + 1, len(self.rules)):
                b = self.rules[j]
                if a.obligation == b.obligation and _overlap(a, b):
                    raise RulesError(
                        f"rules {i + 1} and {j + 1} ({a.obligation}) both apply to the same person "
                        "(their colours, programme_years and statuses overlap); give each rule "
                        "its own colours or programme_years"
                    )

    @classmethod
    def from_toml(cls, text: str) -> RuleSet:
        """Parse a rules file (`[[rule]]` tables, optional `replace_all = true`), strictly."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"the rules are not valid TOML: {exc}") from exc
        unknown = sorted(set(data) - {"rule", "replace_all", "pay"})  # [pay]: models.pay
        if unknown:
            raise RulesError(
                f"unknown top-level key(s) {', '.join(unknown)}; expected [[rule]] and replace_all"
            )
        replace_all = data.get("replace_all", False)
        if not isinstance(replace_all, bool):
            raise RulesError("replace_all must be true or false")
        tables = data.get("rule", [])
        if not isinstance(tables, list):
            raise RulesError("rules are an array of tables: write [[rule]], not [rule]")
        return cls(tuple(_rule_from_table(n, t) for n, t in enumerate(tables, 1)), replace_all)

    def replaced_by(self, other: RuleSet) -> RuleSet:
        """Layer `other` on top: each obligation it names replaces all of this set's rules for it.

        This is how the defaults, then a locality's file, then a per-person override combine;
        `other.replace_all` drops everything of this set.
        """
        if other.replace_all:
            return RuleSet(other.rules, self.replace_all)
        named = {rule.obligation for rule in other.rules}
        kept = tuple(rule for rule in self.rules if rule.obligation not in named)
        return RuleSet(kept + other.rules, self.replace_all)

    def for_obligation(self, obligation: Obligation) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.obligation == obligation)


def _overlap(a: Rule, b: Rule) -> bool:
    def meet(x: frozenset[Any] | None, y: frozenset[Any] | None) -> bool:
        return x is None or y is None or bool(x & y)

    return (
        meet(a.colours, b.colours)
        and meet(a.programme_years, b.programme_years)
        and bool(a.statuses & b.statuses)
    )


E = TypeVar("E", bound=StrEnum)
_RULE_KEYS = ("obligation", "unit", "every", "times", "colours", "programme_years", "statuses")


def _rule_from_table(n: int, table: Any) -> Rule:
    name = f"rule {n}"
    if isinstance(table, dict) and isinstance(table.get("obligation"), str):
        name += f" ({table['obligation']})"
    try:
        if not isinstance(table, dict):
            raise RulesError("must be a table")
        unknown = sorted(set(table) - set(_RULE_KEYS))
        if unknown:
            raise RulesError(f"unknown key(s) {', '.join(unknown)}; expected {', '.join(_RULE_KEYS)}")
        for key in ("obligation", "unit"):
            if key not in table:
                raise RulesError(f"{key} is missing")
        return Rule(
            obligation=_member(Obligation, table["obligation"], "obligation"),
            unit=_member(Unit, table["unit"], "unit"),
            every=_integer(table.get("every", 1), "every"),
            times=_integer(table.get("times", 1), "times"),
            colours=_members(Colour, table.get("colours"), "colour"),
            programme_years=_integers(table.get("programme_years"), "programme_years"),
            statuses=_members(Status, table.get("statuses"), "status") or frozenset(ACTIVE_STATUSES),
        )
    except RulesError as exc:
        raise RulesError(f"{name}: {exc}") from None


def _member(enum: type[E], value: Any, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise RulesError(f"unknown {what} {value!r}; expected one of {_names(enum)}") from None


def _members(enum: type[E], values: Any, what: str) -> frozenset[E] | None:
    if values is None:
        return None
    if not isinstance(values, list) or not values:
        raise RulesError(f'{what} values must be a non-empty list, e.g. ["{next(iter(enum)).value}"]')
    return frozenset(_member(enum, value, what) for value in values)


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(f"{what} must be a whole number, not {value!r}")
    return value


def _integers(values: Any, what: str) -> frozenset[int] | None:
    if values is None:
        return None
    if not isinstance(values, list) or not values:
        raise RulesError(f"{what} must be a non-empty list of whole numbers, e.g. [1, 2]")
    return frozenset(_integer(value, what) for value in values)


DEFAULT_RULES = RuleSet.from_toml(files("models").joinpath("default_rules.toml").read_text(encoding="utf-8"))

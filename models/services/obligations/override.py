"""Per-person schedule rules (`Person.schedule_override`): parsed, grouped, shown and set.

A person's rules are the defaults, then the locality's file (together: `Policy.rules`), then their
own override, each layer replacing the rules of the obligations it names (`RuleSet.replaced_by`).
Persons with an override are few, so `obligation_rows` evaluates everybody else in its one
set-based statement and each distinct rule set of the others with the same statement, restricted
to its persons (`override_groups`).

An override that does not parse (written by hand in the database, or before a stricter version of
the rules) must not break the city: its person is held to the locality's rules, the fact is logged
with the person's id only, and `gridcare person rules` and "why is this due?" say so. Overrides
are set through `set_person_rules`, which validates them first: a typo fails there, loudly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.people import Person
from models.schedule import RulesError, RuleSet
from models.services.directory.entries import NotFound

log = logging.getLogger("gridcare.obligations")

NONE, PERSONAL, INVALID = "none", "personal", "invalid"  # the states of a person's override


def person_rules(base: RuleSet, override: str | None) -> RuleSet:
    """`base` with the override layered on top (a blank one changes nothing). Raises RulesError."""
    if override is None or not override.strip():
        return base
    return base.replaced_by(RuleSet.from_toml(override))


def rules_of(person_id: int, override: str | None, base: RuleSet) -> RuleSet:
    """The rules one person is held to: an invalid override falls back to `base`, logged by id."""
    try:
        return person_rules(base, override)
    except RulesError:
        log.warning("schedule_override_invalid person_id=%d: held to the locality rules", person_id)
        return base


def override_state(base: RuleSet, override: str | None) -> tuple[str, str | None]:
    """NONE, PERSONAL or INVALID, with the parser's message for an invalid one."""
    if override is None or not override.strip():
        return NONE, None
    try:
        person_rules(base, override)
    except RulesError as exc:
        return INVALID, str(exc)
    return PERSONAL, None


# -- reading and setting, for `gridcare person rules` ---------------------------------------------


@dataclass(frozen=True)
class PersonRules:
    """A person's override and the rules in force for them (codes and rules only)."""

    person_id: int
    code: str
    override: str | None
    state: str  # NONE | PERSONAL | INVALID
    problem: str | None  # why an invalid override is ignored
    rules: RuleSet  # in force: the base with the override, or the base alone


def _person(session: Session, code: str) -> Person:
    person = session.scalar(select(Person).where(func.upper(Person.code) == code.strip().upper()))
    if person is None:
        raise NotFound(f"person {code}")
    return person


def _view(person: Person, base: RuleSet) -> PersonRules:
    state, problem = override_state(base, person.schedule_override)
    rules = base if state != PERSONAL else person_rules(base, person.schedule_override)
    return PersonRules(person.id, person.code, person.schedule_override, state, problem, rules)


def read_person_rules(
    session: Session, code: str, *, base: RuleSet, actor: Actor, now: datetime
) -> PersonRules:
    """The person's override and the rules in force (an audited read). Raises NotFound."""
    person = _person(session, code)
    audit(session, actor, "read", "person", person.id, at=now, person_id=person.id, detail="schedule_rules")
    return _view(person, base)


def set_person_rules(
    session: Session, code: str, text: str | None, *, base: RuleSet, actor: Actor, now: datetime
) -> PersonRules:
    """Set (or with None clear) a person's override after validating it against `base` (an
    audited write). Raises NotFound, or RulesError naming the rule and the fix, writing nothing."""
    person = _person(session, code)
    if text is not None and not text.strip():
        text = None
    person_rules(base, text)  # validation: raises before anything is written
    person.schedule_override = text
    person.updated_at = now
    detail = "schedule_override" if text is not None else "schedule_override cleared"
    audit(session, actor, "update", "person", person.id, at=now, person_id=person.id, detail=detail)
    return _view(person, base)

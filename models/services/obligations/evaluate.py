"""What a person owes on a day, worked out from their records with the one statement of the rules.

`models.schedule.obligations_on` is the rule; this module reads what it needs from the database
(colour history, pauses, programme span, release, the records that can count) for a batch of
persons at a time, and gives each person's items and the day they hold until
(`models.schedule.stable_until`). The kept state (models.services.obligations.state) is written
from it, and `gridcare obligations verify` compares the kept state with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from models.casework import Pause
from models.people import ColourChange, Person, Status
from models.policy import Policy
from models.records import Record, RecordKind
from models.schedule import (
    DoneFact,
    DueItem,
    Obligation,
    PersonFacts,
    RuleSet,
    counted_since,
    obligation_of,
    obligations_on,
    record_kind_of,
    stable_until,
)
from models.services.obligations.override import rules_of


class Evaluated(NamedTuple):
    """One person's items on a day, and the first later day they may differ on."""

    items: list[DueItem]
    valid_until: date


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment a local day begins (records are stored in UTC, periods are local)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def facts_of(person: Person, changes: list[ColourChange], pauses: list[Pause], tz: ZoneInfo) -> PersonFacts:
    history = tuple(
        (c.changed_at.astimezone(tz).date(), c.to_colour) for c in sorted(changes, key=lambda c: c.changed_at)
    )
    if not history:
        history = ((person.created_at.astimezone(tz).date(), person.colour),)
    released = person.release_date if person.status is Status.community_rehab else None
    return PersonFacts(
        status=person.status,
        colour_history=history,
        programme_start=person.programme_start,
        programme_end=person.programme_end,
        released_on=released,
        pauses=tuple((p.starts_on, p.ends_on) for p in pauses),
    )


def evaluate(
    session: Session, persons: Sequence[Person], today: date, policy: Policy
) -> dict[int, Evaluated]:
    """Each person's items on `today` from their records (one query per kind of fact for the batch)."""
    ids = [p.id for p in persons]
    if not ids:
        return {}
    changes: dict[int, list[ColourChange]] = defaultdict(list)
    for change in session.scalars(_CHANGES, {"ids": ids}):
        changes[change.person_id].append(change)
    pauses: dict[int, list[Pause]] = defaultdict(list)
    for pause in session.scalars(_PAUSES, {"ids": ids}):
        pauses[pause.person_id].append(pause)
    rules = {p.id: rules_of(p.id, p.schedule_override, policy.rules) for p in persons}
    working, kept = policy.calendar.is_working_day, policy.kept_days
    done: dict[int, list[DoneFact]] = defaultdict(list)
    since = _counted_since(set(rules.values()), today, policy)
    for person_id, kind, subkind, result, occurred_at in session.execute(
        _records_since(tuple(since)), {"ids": ids, **{f"since_{kind}": at for kind, at in since.items()}}
    ):
        obligation = obligation_of(kind, subkind, result)
        if obligation is not None:
            done[person_id].append(DoneFact(obligation, occurred_at.astimezone(policy.tz).date()))
    found = {}
    for p in persons:
        facts = facts_of(p, changes[p.id], pauses[p.id], policy.tz)
        items = obligations_on(
            facts, rules[p.id], today, done[p.id], is_working_day=working, overdue_kept_days=kept
        )
        until = stable_until(facts, rules[p.id], today, is_working_day=working, overdue_kept_days=kept)
        found[p.id] = Evaluated(items, until)
    return found


def _counted_since(rule_sets: set[RuleSet], today: date, policy: Policy) -> dict[str, datetime]:
    """The records that can count today: per kind, from the earliest period any rule set lists
    (the moment, in UTC); registrations count whenever they were filed."""
    since: dict[str, date] = {}
    for rules in rule_sets:
        for obligation, start in counted_since(
            rules, today, is_working_day=policy.calendar.is_working_day, overdue_kept_days=policy.kept_days
        ).items():
            kind = record_kind_of(obligation)
            since[kind] = min(since.get(kind, start), start)
    registration = record_kind_of(Obligation.registration)
    return {
        kind: local_midnight(start, policy.tz)
        for kind, start in sorted(since.items())
        if kind != registration
    }


# Built once (see models.services.sql): every saved record works its person out again.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_CHANGES = select(ColourChange).where(ColourChange.person_id.in_(_IDS))
_PAUSES = select(Pause).where(Pause.person_id.in_(_IDS))


@cache
def _records_since(kinds: tuple[str, ...]) -> Select[int, RecordKind, str | None, str | None, datetime]:
    """The persons' records that can count, each kind from its bound `since_<kind>`: one statement
    per set of kinds (the rules' kinds: a few), built once."""
    return select(Record.person_id, Record.kind, Record.subkind, Record.result, Record.occurred_at).where(
        Record.person_id.in_(_IDS),
        Record.voided.is_(False),
        or_(
            Record.kind == record_kind_of(Obligation.registration),
            *(and_(Record.kind == kind, Record.occurred_at >= bindparam(f"since_{kind}")) for kind in kinds),
        ),
    )

"""What each person owes now: due, done and overdue obligations (确保精准管控、不落一人).

One source of truth for the card, /today, the morning reminders and the supervisors' digests.
`person_obligations` evaluates the pure rules (models.schedule) for one person: the specification.
`obligation_rows` gives the same for everyone in a subtree or a caseload at once, set-based in SQL
(models.services.obligations.sql), so a city or a country is one statement, not a loop; the few
persons with their own rules (models.services.obligations.override) get one more statement per
distinct rule set.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.areas import Area, within
from models.casework import Pause
from models.people import CareAssignment, Colour, ColourChange, Person, Status
from models.policy import Policy
from models.records import Record
from models.schedule import (
    REGISTRATION_DAYS,
    DoneFact,
    DueItem,
    Obligation,
    PersonFacts,
    RuleSet,
    State,
    obligation_of,
    obligations_on,
)
from models.services.obligations.override import override_groups, rules_of
from models.services.obligations.plan import EPOCH, make_plan
from models.services.obligations.sql import REGISTRATION_SLOT, fetch

LOOKBACK = timedelta(days=800)  # the previous period of the longest rule (a year) and then some
_ORDER = {obligation: n for n, obligation in enumerate(Obligation)}
_COLOURS = {c.value: c for c in Colour}


def kept_days(policy: Policy) -> int:
    """How long after its deadline an older open period stays listed: the overdue ladder's longest
    step, so a missed week still reaches the supervisor's digest on day 7 (`obligations_on`)."""
    return max(
        policy.escalate_to_worker_after_days,
        policy.escalate_to_cadre_after_days,
        policy.escalate_to_digest_after_days,
    )


class ObligationRow(NamedTuple):
    """One due item of one person, with who is responsible: the unit digests and reminders count.

    A named tuple, not a dataclass: a country's sweep makes millions of them.
    """

    person_id: int
    person_code: str
    area_id: int
    worker_id: int | None  # the responsible worker
    colour: Colour
    obligation: Obligation
    period_start: date
    period_end: date
    due_date: date
    required: int
    done: int
    state: State
    days_overdue: int


def _facts(person: Person, changes: list[ColourChange], pauses: list[Pause], tz: ZoneInfo) -> PersonFacts:
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


def _evaluate(
    session: Session, persons: list[Person], today: date, policy: Policy
) -> dict[int, list[DueItem]]:
    ids = [p.id for p in persons]
    if not ids:
        return {}
    since = datetime.combine(today - LOOKBACK, time(), tzinfo=UTC)
    changes: dict[int, list[ColourChange]] = defaultdict(list)
    for change in session.scalars(select(ColourChange).where(ColourChange.person_id.in_(ids))):
        changes[change.person_id].append(change)
    pauses: dict[int, list[Pause]] = defaultdict(list)
    for pause in session.scalars(select(Pause).where(Pause.person_id.in_(ids))):
        pauses[pause.person_id].append(pause)
    done: dict[int, list[DoneFact]] = defaultdict(list)
    records = session.execute(
        select(Record.person_id, Record.kind, Record.subkind, Record.result, Record.occurred_at).where(
            Record.person_id.in_(ids), Record.voided.is_(False), Record.occurred_at >= since
        )
    )
    for person_id, kind, subkind, result, occurred_at in records:
        obligation = obligation_of(kind, subkind, result)
        if obligation is not None:
            done[person_id].append(DoneFact(obligation, occurred_at.astimezone(policy.tz).date()))
    return {
        p.id: obligations_on(
            _facts(p, changes[p.id], pauses[p.id], policy.tz),
            rules_of(p.id, p.schedule_override, policy.rules),
            today,
            done[p.id],
            is_working_day=policy.calendar.is_working_day,
            overdue_kept_days=kept_days(policy),
        )
        for p in persons
    }


def person_obligations(session: Session, person_id: int, today: date, policy: Policy) -> list[DueItem]:
    """The due items of one person (the card's "this period" block). The caller checks rights."""
    person = session.get(Person, person_id)
    if person is None:
        return []
    return _evaluate(session, [person], today, policy)[person_id]


def obligation_rows(
    session: Session,
    *,
    today: date,
    policy: Policy,
    area_path: str | None = None,
    worker_id: int | None = None,
    where: ColumnElement[bool] | None = None,
    open_only: bool = False,
) -> list[ObligationRow]:
    """Every due item of every managed person in a subtree (area_path) or a caseload (worker_id).

    Set-based: one SQL statement over all the people held to the locality's rules, and one more per
    distinct set of per-person rules, restricted to its (few) persons (override_groups), giving
    for each person exactly what `obligations_on` gives (the tests hold it to that). `where`
    narrows the people further (a condition on Person); `open_only` leaves out the items already
    done. Rows come by person id, each person's items in `obligations_on` order.
    """
    conditions: list[ColumnElement[bool]] = []
    if area_path is not None:
        conditions.append(Person.area_id.in_(select(Area.id).where(within(Area.path, area_path))))
    if worker_id is not None:
        conditions.append(
            Person.id.in_(select(CareAssignment.person_id).where(CareAssignment.worker_id == worker_id))
        )
    if where is not None:
        conditions.append(where)
    own = override_groups(session, policy.rules, conditions)
    # Everybody else: the whole-city statement, unchanged when nobody in scope has own rules.
    common = [*conditions, Person.id.not_in(own.person_ids)] if own.groups else conditions
    batches = [
        (policy.rules, common),
        *((rules, [*conditions, Person.id.in_(ids)]) for rules, ids in own.groups),
    ]
    rows: list[ObligationRow] = []
    with no_gc():
        for rules, batch in batches:
            _rows_under(session, rules, batch, rows, today=today, policy=policy, open_only=open_only)
        rows.sort(key=lambda r: (r.person_id, r.state is not State.overdue, r.due_date, _ORDER[r.obligation]))
    return rows


def _rows_under(
    session: Session,
    rules: RuleSet,
    where: list[ColumnElement[bool]],
    rows: list[ObligationRow],
    *,
    today: date,
    policy: Policy,
    open_only: bool,
) -> None:
    """Append the rows of the persons matching `where`, all held to `rules`: one SQL statement."""
    plan = make_plan(rules, today, policy, LOOKBACK, kept_days(policy))
    # Everything but the counts is the same for every item of a window: worked out once here.
    periods = [(w.start, w.end, w.due, (today - w.due).days) for w in plan.windows]
    obligations = [o.obligation for o in plan.obligations]
    roll = lru_cache(maxsize=None)(policy.calendar.roll_forward)
    raw = fetch(session, plan, policy.tz, where, open_only=open_only)
    _build(raw, rows, today, periods, obligations, roll)


@contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a city's rows are made and used: they are all kept, so the
    many collections their allocations would trigger find nothing (measured: a third of the Python
    time of `obligation_rows`, and ≈ 0.25 s of a city's morning job). Nesting is safe: only the
    outermost switches it back on, and it always ends switched on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(
    raw: Sequence[Any],
    rows: list[ObligationRow],
    today: date,
    periods: list[tuple[date, date, date, int]],
    obligations: list[Obligation],
    roll: Callable[[date], date],
) -> None:
    overdue, due, done_ = State.overdue, State.due, State.done
    for pid, code, area_id, worker, slot, window, colour, required, done, rel in raw:
        if slot == REGISTRATION_SLOT:
            start = EPOCH + timedelta(days=rel)
            end = start + timedelta(days=REGISTRATION_DAYS - 1)
            deadline = roll(end)
            late = (today - deadline).days
            if done >= required and late > 0:
                continue  # registered, and the deadline has passed: it drops off
            obligation = Obligation.registration
        else:
            start, end, deadline, late = periods[window]
            obligation = obligations[slot]
        if done >= required:
            state, late = done_, 0
        elif late > 0:
            state = overdue
        else:
            state, late = due, 0
        rows.append(
            ObligationRow(
                pid,
                code,
                area_id,
                worker,
                _COLOURS[colour],
                obligation,
                start,
                end,
                deadline,
                required,
                done,
                state,
                late,
            )
        )

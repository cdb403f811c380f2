"""What each person owes now: due, done and overdue obligations (确保精准管控、不落一人).

One source of truth for the card, /today, the morning reminders and the supervisors' digests.
The rules are stated once, in Python (models.schedule.obligations_on); each person's items are kept
(models.services.obligations.state), so `obligation_rows` reads a subtree or a caseload with one
indexed query and reads each item's state (done, due, overdue) off the date. `person_obligations`
works one person out from the records: the explanation of "why is this due?".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache, partial
from typing import Any, NamedTuple

from sqlalchemy import Date, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.areas import Area, subtree_bounds, within_bound
from models.obligation_state import ObligationItem, ObligationStamp
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, Colour, Person
from models.policy import Policy
from models.schedule import DueItem, Obligation, State
from models.services.obligations.evaluate import Evaluated, evaluate
from models.services.obligations.state import settle_rows, stale, stale_params
from models.services.rights import caseload_clause
from models.services.sql import chunks, sum_of

__all__ = [
    "Later",
    "ObligationRow",
    "WeekRows",
    "obligation_rows",
    "open_counts",
    "person_obligations",
    "person_rows",
    "week_end",
    "week_rows",
]

_ORDER = {obligation: n for n, obligation in enumerate(Obligation)}
_OBLIGATIONS = {o.value: o for o in Obligation}
_COLOURS = {c.value: c for c in Colour}


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


class Later(NamedTuple):
    """How many open items of one person fall due after the week (a due list counts, not lists, them)."""

    person_id: int
    worker_id: int | None  # the responsible worker
    items: int


class WeekRows(NamedTuple):
    """What a due list shows (`week_rows`): the open items due by today or whose period ends by the
    week's Sunday, and per person the count of the open items after it."""

    rows: list[ObligationRow]
    later: list[Later]

    @property
    def later_items(self) -> int:
        return sum(n.items for n in self.later)


def week_end(day: date) -> date:
    """The Sunday of `day`'s week."""
    return day + timedelta(days=6 - day.weekday())


def in_week(today: date, due_date: date, period_end: date, sunday: date | None = None) -> bool:
    """Whether an open item is on the week's due list: overdue, due today, or its period ending by
    the week's Sunday (`sunday`, today's week_end). The same test as `_IN_WEEK`, in Python."""
    return due_date <= today or period_end <= (sunday or week_end(today))


def person_obligations(session: Session, person_id: int, today: date, policy: Policy) -> list[DueItem]:
    """The due items of one person worked out from the records, with the rule each follows
    ("why is this due?"). The caller checks rights."""
    person = session.get(Person, person_id)
    if person is None:
        return []
    return evaluate(session, [person], today, policy)[person_id].items


# The statements below are on the tables, not the mapped classes: run as Core, their rows are not
# processed by the ORM (82 rows of a caseload: 0.51 → 0.35 ms; BENCHMARKS.md section 16).
_persons, _items, _stamps = Person.__table__, ObligationItem.__table__, ObligationStamp.__table__
_assignments, _areas = CareAssignment.__table__, Area.__table__

_RESPONSIBLE = (
    select(func.min(_assignments.c.worker_id))
    .where(_assignments.c.person_id == _persons.c.id, _assignments.c.case_role == CaseRole.responsible)
    .scalar_subquery()
)


# An open item a due list shows (`in_week`), the day and the week's Sunday bound at run time.
_IN_WEEK = or_(
    _items.c.due_date <= bindparam("today", type_=Date),
    _items.c.period_end <= bindparam("sunday", type_=Date),
)
_OPEN = _items.c.done < _items.c.required


class _Shape(NamedTuple):
    """Which conditions a statement of `obligation_rows` has, their values bound at run time: the
    chat's reads (a caseload, a person) then run statements built once."""

    active_only: bool
    area: bool
    worker: bool
    caseload: bool
    person: bool
    open_only: bool
    later: bool  # some persons' items are kept for a later day: theirs are worked out in memory
    week: bool = False  # only the open items of the week's due list (`week_rows`)
    overdue: bool = False  # only the open items due on `overdue_on` or before (the overdue ladder)


def _conditions(shape: _Shape, where: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = (
        [_persons.c.status.in_(ACTIVE_STATUSES)] if shape.active_only else []
    )
    if shape.area:
        subtree = select(_areas.c.id).where(within_bound(_areas.c.path))
        conditions.append(_persons.c.area_id.in_(subtree))
    if shape.worker:
        team = select(_assignments.c.person_id).where(_assignments.c.worker_id == bindparam("worker"))
        conditions.append(_persons.c.id.in_(team))
    if shape.caseload:
        conditions.append(caseload_clause(bindparam("caseload"), bindparam("day", type_=Date)))
    if shape.person:
        conditions.append(_persons.c.id == bindparam("person"))
    if where is not None:
        conditions.append(where)
    return conditions


class _Statements(NamedTuple):
    stale: Select[int, date]  # the persons whose items do not hold (`stale`)
    rows: Select[*tuple[Any, ...]]  # the kept items
    later: Select[int, int | None, int] | None  # with `week`: per person, the open items after it
    counted: Select[int, int, int]  # per person: the items overdue, and all of them


def _statements(shape: _Shape, where: ColumnElement[bool] | None = None) -> _Statements:
    """The statements of one shape."""
    conditions = _conditions(shape, where)
    kept = list(conditions)
    if shape.later:  # a subquery: they may be more than a statement's parameters
        future = select(_stamps.c.person_id).where(_stamps.c.computed_for > bindparam("today"))
        kept.append(_items.c.person_id.not_in(future))
    if shape.open_only or shape.week or shape.overdue:
        kept.append(_OPEN)
    if shape.overdue:
        kept.append(_items.c.due_date <= bindparam("overdue_on", type_=Date))
    query = select(
        _items.c.person_id,
        _persons.c.code,
        _persons.c.area_id,
        _RESPONSIBLE,
        _items.c.colour,
        _items.c.obligation,
        _items.c.period_start,
        _items.c.period_end,
        _items.c.due_date,
        _items.c.required,
        _items.c.done,
    )
    query = query.join(_persons, _persons.c.id == _items.c.person_id).where(*kept)
    later = None
    if shape.week:
        query = query.where(_IN_WEEK)
        later = (
            select(_persons.c.id, _RESPONSIBLE, func.count())
            .select_from(_items)
            .join(_persons, _persons.c.id == _items.c.person_id)
            .where(*kept, ~_IN_WEEK)
            .group_by(_persons.c.id)
        )
    counted = (
        select(_items.c.person_id, sum_of(_items.c.due_date < bindparam("today", type_=Date)), func.count())
        .join(_persons, _persons.c.id == _items.c.person_id)
        .where(*kept)
        .group_by(_items.c.person_id)
    )
    return _Statements(stale(select(_persons.c.id).where(*conditions)), query, later, counted)


_BUILT = cache(_statements)  # without `where`: a few shapes, each built once


def obligation_rows(
    session: Session,
    *,
    today: date,
    policy: Policy,
    area_path: str | None = None,
    worker_id: int | None = None,
    caseload_of: int | None = None,
    person_id: int | None = None,
    where: ColumnElement[bool] | None = None,
    open_only: bool = False,
    active_only: bool = True,
    overdue_by: int | None = None,
) -> list[ObligationRow]:
    """Every due item of every managed person in a subtree (area_path), on a care team (worker_id),
    in a caseload with its delegations that day (caseload_of), or of one person (person_id).

    Read from the kept items (made to hold for `today` first: models.services.obligations.state).
    `where` narrows the people further (a condition on the persons table's columns, `Person.__table__.c`:
    with a mapped attribute, `Person.id`, the ORM would process every row); `open_only` leaves out the items
    already done; `overdue_by` keeps only the open items overdue by that many days or more (at
    least one). Rows come by person id, each person's items in `obligations_on` order: overdue
    first, then by deadline.
    """
    shape = _Shape(
        active_only,
        area_path is not None,
        worker_id is not None,
        caseload_of is not None,
        person_id is not None,
        open_only,
        later=False,
        overdue=overdue_by is not None,
    )
    params: dict[str, Any] = {"worker": worker_id, "caseload": caseload_of, "day": today, "person": person_id}
    if overdue_by is not None:
        params["overdue_on"] = today - timedelta(days=max(overdue_by, 1))
    if area_path is not None:
        params["low"], params["high"] = subtree_bounds(area_path)
    return _read(session, shape, params, where, today, policy).rows


def week_rows(
    session: Session,
    *,
    today: date,
    policy: Policy,
    caseload_of: int | None = None,
    where: ColumnElement[bool] | None = None,
) -> WeekRows:
    """What the due lists of managed persons show (/today, the morning list and its revisions): the
    open items due by `today` or whose period ends by its week's Sunday, in a caseload with its
    delegations that day (caseload_of) and/or among the persons `where` selects; and per person how
    many open items fall after the week. The rest of a person's items is never read: a city's
    morning reads 31,000 of its 73,000 open items."""
    shape = _Shape(True, False, False, caseload_of is not None, False, True, later=False, week=True)
    params = {"caseload": caseload_of, "day": today, "sunday": week_end(today)}
    return _read(session, shape, params, where, today, policy)


def open_counts(
    session: Session, *, today: date, policy: Policy, caseload_of: int
) -> Counter[tuple[int, State]]:
    """(person id, overdue or due) → how many open items, over a caseload with its delegations that
    day (/my): counted by the database, the rows of those worked out in memory in Python."""
    shape = _Shape(True, False, False, True, False, True, later=False)
    params = {"caseload": caseload_of, "day": today, "today": today}
    built, in_memory = _settled(session, _BUILT, shape, params, today, policy)
    counts: Counter[tuple[int, State]] = Counter()
    for pid, overdue, items in session.execute(built.counted, params):
        counts[pid, State.overdue], counts[pid, State.due] = overdue, items - overdue
    if in_memory:
        counts.update((r.person_id, r.state) for r in _in_memory(session, in_memory, today, True))
    return counts


def _settled(
    session: Session,
    statements: Callable[[_Shape], _Statements],
    shape: _Shape,
    params: dict[str, Any],
    today: date,
    policy: Policy,
) -> tuple[_Statements, dict[int, Evaluated]]:
    """A shape's kept items made to hold for `today`: its statements (leaving out those worked out
    in memory, if any) and those persons' items worked out in memory."""
    check = statements(shape).stale
    in_memory = settle_rows(
        session, session.execute(check, params | stale_params(today, policy)).all(), today, policy
    )
    return statements(shape._replace(later=bool(in_memory))), in_memory


def _read(
    session: Session,
    shape: _Shape,
    params: dict[str, Any],
    where: ColumnElement[bool] | None,
    today: date,
    policy: Policy,
) -> WeekRows:
    """The rows of a shape (with `week`, the count of the items after the week): the kept items,
    made to hold for `today` first."""
    statements = _BUILT if where is None else partial(_statements, where=where)
    built, in_memory = _settled(session, statements, shape, params, today, policy)
    params = params | {"today": today}
    rows = [
        _row(pid, code, area, worker, colour, obligation, start, end, due, required, done, today)
        for pid, code, area, worker, colour, obligation, start, end, due, required, done in session.execute(
            built.rows, params
        )
    ]
    later = [] if built.later is None else [Later(*row) for row in session.execute(built.later, params)]
    if in_memory:
        extra = _in_memory(session, in_memory, today, shape.open_only or shape.week or shape.overdue)
        if shape.overdue:
            extra = [r for r in extra if r.due_date <= params["overdue_on"]]
        if shape.week:
            sunday = week_end(today)
            listed: list[ObligationRow] = []
            after: list[ObligationRow] = []
            for r in extra:
                (listed if in_week(today, r.due_date, r.period_end, sunday) else after).append(r)
            later.extend(_later_of(after))
            extra = listed
        rows.extend(extra)
    rows.sort(key=_order)
    return WeekRows(rows, later)


def _later_of(rows: list[ObligationRow]) -> list[Later]:
    """Per person, how many of these rows there are (items after the week worked out in memory)."""
    counts: dict[tuple[int, int | None], int] = {}
    for r in rows:
        counts[r.person_id, r.worker_id] = counts.get((r.person_id, r.worker_id), 0) + 1
    return [Later(pid, worker, n) for (pid, worker), n in counts.items()]


def _order(r: ObligationRow) -> tuple[int, bool, date, int, date]:
    """By person, then as `obligations_on` lists a person's items."""
    return (r.person_id, r.state is not State.overdue, r.due_date, _ORDER[r.obligation], r.period_start)


def person_rows(session: Session, person_id: int, today: date, policy: Policy) -> list[ObligationRow]:
    """One person's kept items for `today`, whatever their status (the card). The caller checks rights."""
    return obligation_rows(session, today=today, policy=policy, person_id=person_id, active_only=False)


def _row(
    pid: int,
    code: str,
    area: int,
    worker: int | None,
    colour: str,
    obligation: str,
    start: date,
    end: date,
    due: date,
    required: int,
    done: int,
    today: date,
) -> ObligationRow:
    if done >= required:
        state, late = State.done, 0
    elif today > due:
        state, late = State.overdue, (today - due).days
    else:
        state, late = State.due, 0
    return ObligationRow(
        pid,
        code,
        area,
        worker,
        _COLOURS[colour],
        _OBLIGATIONS[obligation],
        start,
        end,
        due,
        required,
        done,
        state,
        late,
    )


def _in_memory(session: Session, found: dict[int, Any], today: date, open_only: bool) -> list[ObligationRow]:
    """Rows of persons worked out in memory (asked about a day before their kept one's)."""
    who = [
        row
        for chunk in chunks(list(found))
        for row in session.execute(
            select(Person.id, Person.code, Person.area_id, _RESPONSIBLE).where(Person.id.in_(chunk))
        )
    ]
    rows = []
    for pid, code, area, worker in who:
        for i in found[pid].items:
            if open_only and i.done >= i.required:
                continue
            rows.append(
                _row(
                    pid,
                    code,
                    area,
                    worker,
                    str(i.colour),
                    str(i.obligation),
                    i.period_start,
                    i.period_end,
                    i.due_date,
                    i.required,
                    i.done,
                    today,
                )
            )
    return rows

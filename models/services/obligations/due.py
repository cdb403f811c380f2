"""What each person owes now: due, done and overdue obligations (确保精准管控、不落一人).

One source of truth for the card, /today, the morning reminders and the supervisors' digests.
The rules are stated once, in Python (models.schedule.obligations_on); each person's items are kept
(models.services.obligations.state), so `obligation_rows` reads a subtree or a caseload with one
indexed query and reads each item's state (done, due, overdue) off the date. `person_obligations`
works one person out from the records: the explanation of "why is this due?".
"""

from __future__ import annotations

from datetime import date
from functools import cache, partial
from typing import Any, NamedTuple

from sqlalchemy import Date, Select, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.areas import Area, subtree_bounds, within_bound
from models.obligation_state import ObligationItem, ObligationStamp
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, Colour, Person
from models.policy import Policy
from models.schedule import DueItem, Obligation, State
from models.services.obligations.evaluate import evaluate, kept_days
from models.services.obligations.state import settle_rows, stale, stale_params
from models.services.rights import caseload_clause
from models.services.sql import chunks

__all__ = ["ObligationRow", "kept_days", "obligation_rows", "person_obligations", "person_rows"]

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


def person_obligations(session: Session, person_id: int, today: date, policy: Policy) -> list[DueItem]:
    """The due items of one person worked out from the records, with the rule each follows
    ("why is this due?"). The caller checks rights."""
    person = session.get(Person, person_id)
    if person is None:
        return []
    return evaluate(session, [person], today, policy)[person_id].items


_RESPONSIBLE = (
    select(func.min(CareAssignment.worker_id))
    .where(CareAssignment.person_id == Person.id, CareAssignment.case_role == CaseRole.responsible)
    .scalar_subquery()
)


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


def _conditions(shape: _Shape, where: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Person.status.in_(ACTIVE_STATUSES)] if shape.active_only else []
    if shape.area:
        subtree = select(Area.id).where(within_bound(Area.path))
        conditions.append(Person.area_id.in_(subtree))
    if shape.worker:
        team = select(CareAssignment.person_id).where(CareAssignment.worker_id == bindparam("worker"))
        conditions.append(Person.id.in_(team))
    if shape.caseload:
        conditions.append(caseload_clause(bindparam("caseload"), bindparam("day", type_=Date)))
    if shape.person:
        conditions.append(Person.id == bindparam("person"))
    if where is not None:
        conditions.append(where)
    return conditions


def _statements(
    shape: _Shape, where: ColumnElement[bool] | None = None
) -> tuple[Select[int, date], Select[*tuple[Any, ...]]]:
    """The persons whose items do not hold (`stale`), and the kept items, of one shape."""
    conditions = _conditions(shape, where)
    query = (
        select(
            ObligationItem.person_id,
            Person.code,
            Person.area_id,
            _RESPONSIBLE,
            ObligationItem.colour,
            ObligationItem.obligation,
            ObligationItem.period_start,
            ObligationItem.period_end,
            ObligationItem.due_date,
            ObligationItem.required,
            ObligationItem.done,
        )
        .join(Person, Person.id == ObligationItem.person_id)
        .where(*conditions)
    )
    if shape.later:  # a subquery: they may be more than a statement's parameters
        later = select(ObligationStamp.person_id).where(ObligationStamp.computed_for > bindparam("today"))
        query = query.where(ObligationItem.person_id.not_in(later))
    if shape.open_only:
        query = query.where(ObligationItem.done < ObligationItem.required)
    return stale(select(Person.id).where(*conditions)), query


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
) -> list[ObligationRow]:
    """Every due item of every managed person in a subtree (area_path), on a care team (worker_id),
    in a caseload with its delegations that day (caseload_of), or of one person (person_id).

    Read from the kept items (made to hold for `today` first: models.services.obligations.state).
    `where` narrows the people further (a condition on Person); `open_only` leaves out the items
    already done. Rows come by person id, each person's items in `obligations_on` order: overdue
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
    )
    params: dict[str, Any] = {"worker": worker_id, "caseload": caseload_of, "day": today, "person": person_id}
    if area_path is not None:
        params["low"], params["high"] = subtree_bounds(area_path)
    statements = _BUILT if where is None else partial(_statements, where=where)
    check, _ = statements(shape)
    in_memory = settle_rows(
        session, session.execute(check, params | stale_params(today, policy)).all(), today, policy
    )
    _, query = statements(shape._replace(later=bool(in_memory)))
    rows = [
        _row(pid, code, area, worker, colour, obligation, start, end, due, required, done, today)
        for pid, code, area, worker, colour, obligation, start, end, due, required, done in session.execute(
            query, params | {"today": today}
        )
    ]
    if in_memory:
        rows.extend(_in_memory(session, in_memory, today, open_only))
    rows.sort(key=_order)
    return rows


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

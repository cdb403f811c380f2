"""What each person owes now: due, done and overdue obligations (确保精准管控、不落一人).

One source of truth for the card, /today, the morning reminders and the supervisors' digests.
`person_obligations` evaluates the pure rules (models.schedule) for one person;
`obligation_rows` does it for everyone in a subtree or a caseload at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, within
from models.casework import Pause
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, Colour, ColourChange, Person, Status
from models.policy import Policy
from models.records import Record
from models.schedule import DoneFact, DueItem, Obligation, PersonFacts, State, obligation_of, obligations_on

LOOKBACK = timedelta(days=800)  # the previous period of the longest rule (a year) and then some


@dataclass(frozen=True)
class ObligationRow:
    """One due item of one person, with who is responsible: the unit digests and reminders count."""

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


def _facts(person: Person, changes: list[ColourChange], pauses: list[Pause], tz) -> PersonFacts:  # type: ignore[no-untyped-def]
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
            policy.rules,
            today,
            done[p.id],
            is_working_day=policy.calendar.is_working_day,
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
) -> list[ObligationRow]:
    """Every due item of every managed person in a subtree (area_path) or a caseload (worker_id)."""
    query = select(Person).where(Person.status.in_(ACTIVE_STATUSES))
    if area_path is not None:
        query = query.join(Area, Area.id == Person.area_id).where(within(Area.path, area_path))
    if worker_id is not None:
        query = query.where(
            Person.id.in_(select(CareAssignment.person_id).where(CareAssignment.worker_id == worker_id))
        )
    persons = list(session.scalars(query))
    responsible = dict(
        session.execute(
            select(CareAssignment.person_id, CareAssignment.worker_id).where(
                CareAssignment.case_role == CaseRole.responsible,
                CareAssignment.person_id.in_([p.id for p in persons]),
            )
        ).all()
    )
    items = _evaluate(session, persons, today, policy)
    return [
        ObligationRow(
            person_id=p.id,
            person_code=p.code,
            area_id=p.area_id,
            worker_id=responsible.get(p.id),
            colour=item.colour,
            obligation=item.obligation,
            period_start=item.period_start,
            period_end=item.period_end,
            due_date=item.due_date,
            required=item.required,
            done=item.done,
            state=item.state,
            days_overdue=item.days_overdue(today),
        )
        for p in persons
        for item in items[p.id]
    ]

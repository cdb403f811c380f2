"""Overdue work climbs a ladder (工作进度报警提示), and programmes about to end raise a task.

The ladder (Policy): the responsible worker on the first day overdue, the community cadre of the
care team (none linked: the nearest linked cadre up the grid tree) after three days, the
supervisor's digest after seven (`overdue_for_digest`). Each item reaches each rung once: an
`OverdueNotice` row (person, obligation, period, rung, worker) records it, so a repeated sweep
tells nobody anything twice, a sweep missed on a rest day catches up on the next working day, and
the items that reach a rung in one sweep go to a worker in one message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.areas import subtree_ids
from models.outbox import OutboxMessage
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, Person, Role, Worker
from models.policy import Policy
from models.reminders import OverdueNotice
from models.services.alerts.routing import Reached, route
from models.services.obligations.due import ObligationRow, obligation_rows
from models.services.reminders.due_lists import Recipient, delegates_on
from models.services.sql import by_index, chunks, one_of

OVERDUE = "overdue"  # outbox purpose
CASE_END = "case_end"


@dataclass(frozen=True)
class Escalation:
    """One rung of the ladder for one overdue item: who is told, and about what."""

    step: str  # worker | cadre
    to: Recipient
    row: ObligationRow
    worker_name: str | None  # the responsible worker, named to the cadre

    @property
    def key(self) -> tuple[int, str, date, str, int]:
        """What makes it once: person, obligation, period, rung, recipient."""
        row = self.row
        return (row.person_id, str(row.obligation), row.period_start, self.step, self.to.worker_id)


def _in_area(area_path: str | None) -> ColumnElement[bool] | None:
    if area_path is None:
        return None
    return Person.area_id.in_(subtree_ids(area_path))


def _linked(session: Session, worker_ids: set[int]) -> dict[int, Recipient]:
    if not worker_ids:
        return {}
    rows = session.execute(
        select(Worker.id, Worker.telegram_user_id, Worker.name).where(
            one_of(session, Worker.id, sorted(worker_ids)),
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),
        )
    )
    # The query keeps linked accounts only.
    return {w: Recipient(w, chat, name) for w, chat, name in rows if chat is not None}


def _cadres(session: Session, person_ids: set[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    ids = sorted(person_ids)
    for chunk in chunks(ids):
        rows = session.execute(
            select(CareAssignment.person_id, CareAssignment.worker_id).where(
                CareAssignment.case_role == CaseRole.cadre, one_of(session, CareAssignment.person_id, chunk)
            )
        )
        for person_id, worker_id in rows:
            found[person_id].append(worker_id)
    return found


def escalations(
    session: Session, *, today: date, policy: Policy, area_ids: Sequence[int] | None = None
) -> list[Escalation]:
    """Every rung every overdue item has reached today (already sent ones included: the keys decide),
    of the persons in these areas (None: everyone; models.services.batches.area_batches)."""
    where = None if area_ids is None else one_of(session, Person.__table__.c.area_id, area_ids)
    rows = obligation_rows(
        session, today=today, policy=policy, where=where, overdue_by=policy.escalate_to_worker_after_days
    )
    giving = delegates_on(session, today)
    owners = {r.person_id: giving.get(r.worker_id, r.worker_id) for r in rows if r.worker_id is not None}
    late = {r.person_id for r in rows if r.days_overdue >= policy.escalate_to_cadre_after_days}
    cadres = _cadres(session, late)
    people = _linked(
        session,
        {w for w in owners.values() if w is not None}
        | {w for ws in cadres.values() for w in ws}
        | {r.worker_id for r in rows if r.worker_id is not None},
    )
    _nearest_cadres(session, rows, late, cadres, people)
    found = []
    for row in rows:
        owner = people.get(owners.get(row.person_id) or -1)
        if owner is not None:
            found.append(Escalation("worker", owner, row, None))
        if row.days_overdue >= policy.escalate_to_cadre_after_days:
            responsible = people.get(row.worker_id or -1)
            for cadre_id in cadres.get(row.person_id, ()):
                cadre = people.get(cadre_id)
                if cadre is not None and cadre_id != (owner.worker_id if owner else None):
                    found.append(Escalation("cadre", cadre, row, responsible.name if responsible else None))
    return found


def _nearest_cadres(
    session: Session,
    rows: list[ObligationRow],
    late: set[int],
    cadres: dict[int, list[int]],
    people: dict[int, Recipient],
) -> None:
    """A care team with no linked cadre must not leave the rung empty: the nearest linked cadre up
    the grid tree takes it (models.services.alerts.routing), looked up once per area."""
    by_area: dict[int, list[Reached]] = {}
    for row in rows:
        person = row.person_id
        if person not in late or any(w in people for w in cadres.get(person, ())):
            continue
        if row.area_id not in by_area:
            by_area[row.area_id] = list(route(session, person, (Role.cadre,)).reached)
        for reached in by_area[row.area_id]:
            cadres[person] = [*cadres.get(person, ()), reached.worker_id]
            people[reached.worker_id] = Recipient(reached.worker_id, reached.chat_id, reached.name)


def record_new(session: Session, found: list[Escalation], *, now: datetime) -> list[Escalation]:
    """Record these rungs as told; those told before are left out (INSERT … ON CONFLICT DO NOTHING).

    The rungs told before are read first and not sent to the insert: most of a day's ladder was told
    on an earlier day, and on PostgreSQL an insert that conflicts costs nearly what one that does
    not does (a province's steady day: 500,000 rungs, 15 s of inserts that inserted nothing). Safe
    under concurrency: of two sweeps at once, each item goes to exactly one of them (the insert
    decides).
    """
    by_key = {e.key: e for e in found}
    told = _told(session, by_key)
    fresh = [key for key in by_key if key not in told]
    if not fresh:
        return []
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OverdueNotice)
        .on_conflict_do_nothing(index_elements=list(_NOTICE_KEY))
        .returning(*(getattr(OverdueNotice, c) for c in _NOTICE_KEY))
    )
    values = [dict(zip(_NOTICE_KEY, key, strict=True), notified_at=now) for key in fresh]
    # one statement, many parameter sets: SQLAlchemy batches them ("insertmanyvalues")
    rows = session.connection().execute(stmt, values)
    new = [by_key[tuple(row)] for row in rows]
    return sorted(new, key=lambda e: (-e.row.days_overdue, e.row.person_code, str(e.row.obligation)))


_NOTICE_KEY = ("person_id", "obligation", "period_start", "step", "worker_id")


def _told(session: Session, keys: Collection[tuple[int, str, date, str, int]]) -> set[tuple[Any, ...]]:
    """Which of these rungs were told before (read by the notices' person index)."""
    if not keys:
        return set()
    since = min(key[2] for key in keys)
    columns = [getattr(OverdueNotice, c) for c in _NOTICE_KEY]
    told: set[tuple[Any, ...]] = set()
    with by_index(session):  # whatever the notices' statistics say (a first day fills them)
        for chunk in chunks(sorted({key[0] for key in keys})):
            query = select(*columns).where(
                one_of(session, OverdueNotice.person_id, chunk), OverdueNotice.period_start >= since
            )
            told.update(tuple(row) for row in session.execute(query))
    return told


def already_queued(session: Session, keys: list[str]) -> set[str]:
    """Which of these outbox keys exist (so a repeated sweep renders nothing it would not queue)."""
    found: set[str] = set()
    for chunk in chunks(keys):
        found.update(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(one_of(session, OutboxMessage.dedupe_key, chunk))
            )
        )
    return found


def overdue_for_digest(
    session: Session, *, today: date, policy: Policy, area_path: str | None = None
) -> list[ObligationRow]:
    """Items overdue long enough for the supervisor's digest (the ladder's last rung), worst first."""
    rows = obligation_rows(session, today=today, policy=policy, area_path=area_path, open_only=True)
    late = [r for r in rows if r.days_overdue >= policy.escalate_to_digest_after_days]
    return sorted(late, key=lambda r: (-r.days_overdue, r.person_code, r.obligation))


# -- programmes about to end ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseEnding:
    """A person whose programme (社区戒毒/康复, three years) ends soon: a task for their worker."""

    person_id: int
    code: str
    status: str
    ends_on: date
    to: Recipient

    @property
    def dedupe_key(self) -> str:
        """Once per programme end and recipient: a worker who takes the person over is told too."""
        return f"{CASE_END}:{self.person_id}:{self.ends_on.isoformat()}:{self.to.worker_id}"

    @property
    def earlier_key(self) -> str:
        """The key before it named the recipient: a task queued under it counts as told."""
        return f"{CASE_END}:{self.person_id}:{self.ends_on.isoformat()}"


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month): 31 May - 1 → 30 April."""
    month = day.month - months - 1
    year, month = day.year + month // 12, month % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def case_endings(
    session: Session, *, today: date, policy: Policy, area_path: str | None = None
) -> list[CaseEnding]:
    """People whose programme ends within the notice (a month), for their responsible worker."""
    query = (
        select(Person.id, Person.code, Person.status, Person.programme_end, CareAssignment.worker_id)
        .join(
            CareAssignment,
            and_(CareAssignment.person_id == Person.id, CareAssignment.case_role == CaseRole.responsible),
        )
        .where(
            Person.status.in_(ACTIVE_STATUSES),
            Person.programme_end >= today,
            Person.programme_end <= today + timedelta(days=31 * policy.case_ending_notice_months + 1),
        )
        .order_by(Person.programme_end, Person.code)
    )
    area = _in_area(area_path)
    if area is not None:
        query = query.where(area)
    rows = [
        r
        for r in session.execute(query)
        if months_before(r.programme_end, policy.case_ending_notice_months) <= today
    ]
    giving = delegates_on(session, today)
    people = _linked(session, {giving.get(r.worker_id, r.worker_id) for r in rows})
    found = []
    for r in rows:
        to = people.get(giving.get(r.worker_id, r.worker_id))
        if to is not None:
            found.append(CaseEnding(r.id, r.code, str(r.status), r.programme_end, to))
    return found

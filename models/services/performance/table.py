"""Per-worker performance (网格员考核) over a period: the basis of the worker subsidy evaluation.

For every obligation period that ended in the period (weeks end on Sundays, months on their last
day), `obligation_rows` on that last day says whether it was done: met on time (recorded by the
deadline), met but recorded after it (补录), or missed once its deadline has passed. The rest are
counts per worker: records filed and filed late (over 48 h after the event), reviews of their
reports, how fast they answered family messages and took urgent alerts; and from these the pay
evaluation's score with the locality's weights (models.pay).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.areas import Area, within
from models.audit import Actor, audit
from models.pay import pay_score
from models.people import Role, Worker
from models.policy import Policy
from models.records import Record, RecordKind
from models.schedule import Obligation, State, obligation_of
from models.services.digest.counts import median_minutes, staff_roles
from models.services.digest.scope import AreaRef, in_subtree
from models.services.digest.summary import Period, asof_moment, local_midnight
from models.services.obligations.due import ObligationRow, obligation_rows
from models.services.performance.counts import count_alerts, count_messages, count_records, count_reviews


@dataclass(frozen=True)
class WorkerPerformance:
    """One worker's figures for the period."""

    worker_id: int
    code: str
    name: str
    role: Role
    records: int
    late_records: int  # filed over 48 hours after the event
    met_on_time: int
    met_late: int  # done, but recorded after the deadline
    missed: int
    reviewed_correct: int
    reviewed_errors: int
    messages: int  # from families, received in the period
    messages_slow: int  # not answered within 24 hours
    message_median_minutes: int | None
    alerts: int  # urgent alerts this worker acknowledged
    alert_median_minutes: int | None
    score: float | None = None  # the pay evaluation's score (models.pay), from the locality's weights

    @property
    def on_time_rate(self) -> int | None:
        owed = self.met_on_time + self.met_late + self.missed
        return None if not owed else round(100 * self.met_on_time / owed)


@dataclass
class _Acc:
    """A worker's figures while they are being counted."""

    worker_id: int
    code: str
    name: str
    role: Role
    records: int = 0
    late_records: int = 0
    met_on_time: int = 0
    met_late: int = 0
    missed: int = 0
    reviewed_correct: int = 0
    reviewed_errors: int = 0
    messages: int = 0
    messages_slow: int = 0
    message_minutes: list[float] = field(default_factory=list)
    alerts: int = 0
    alert_minutes: list[float] = field(default_factory=list)

    def frozen(self) -> WorkerPerformance:
        figures = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.endswith("_minutes")}
        return WorkerPerformance(
            **figures,
            message_median_minutes=median_minutes(self.message_minutes),
            alert_median_minutes=median_minutes(self.alert_minutes),
        )


def period_ends(start: date, last: date) -> Iterator[date]:
    """The days in [start, last] on which an obligation period can end: Sundays and month ends."""
    day = start
    while day <= last:
        if day.weekday() == 6 or (day + timedelta(days=1)).day == 1:
            yield day
        day += timedelta(days=1)


def worker_performance(
    session: Session, path: str, period: Period, *, policy: Policy, now: datetime
) -> list[WorkerPerformance]:
    """Every active staff member of the subtree (supervisors aside), by code, with their figures."""
    asof = asof_moment(period, policy, now)
    since, until = period.utc_range(policy)
    query = (
        select(Worker.id, Worker.code, Worker.name, Worker.role)
        .join(Area, Area.id == Worker.area_id)
        .where(within(Area.path, path), Worker.active.is_(True), Worker.role.in_(staff_roles()))
        .order_by(Worker.code)
    )
    staff = {row[0]: _Acc(*row) for row in session.execute(query)}
    _obligations(session, path, period, policy, asof, staff)
    count_records(session, path, since, until, staff)
    count_reviews(session, path, since, until, staff)
    count_messages(session, path, since, until, asof, staff)
    count_alerts(session, path, since, until, asof, staff)
    return [replace(f, score=pay_score(f, policy.pay)) for f in (acc.frozen() for acc in staff.values())]


def audited_performance(
    session: Session, actor: Actor, area: AreaRef, period: Period, *, policy: Policy, now: datetime
) -> list[WorkerPerformance]:
    """`worker_performance` for someone who asked; the read is audited (ids only)."""
    figures = worker_performance(session, area.path, period, policy=policy, now=now)
    audit(
        session,
        actor,
        "performance",
        "area",
        area.id,
        at=now,
        detail=f"{period.kind}:{period.end.isoformat()}",
    )
    return figures


def _obligations(
    session: Session,
    path: str,
    period: Period,
    policy: Policy,
    asof: datetime,
    staff: dict[int, _Acc],
) -> None:
    today = policy.local_date(asof)
    ended: list[ObligationRow] = []
    for day in period_ends(period.start, min(period.end, today)):
        rows = obligation_rows(session, today=day, policy=policy, area_path=path)
        ended.extend(r for r in rows if r.period_end == day and r.worker_id in staff)
    done = [r for r in ended if r.state == State.done]
    filed_by_deadline = _filed_by_deadline(session, path, done, policy)
    for row in ended:
        if row.worker_id is None:  # never: `ended` keeps the rows of these workers only
            continue
        worker = staff[row.worker_id]
        if row.state == State.done:
            on_time = filed_by_deadline.get((row.person_id, row.obligation, row.period_start), 0)
            if on_time >= row.required:
                worker.met_on_time += 1
            else:
                worker.met_late += 1
        elif row.due_date < today:
            worker.missed += 1


# The record kind that can satisfy each obligation (models.schedule.obligation_of decides which do).
RECORD_KIND = {
    Obligation.meeting: RecordKind.visit,
    Obligation.drug_test: RecordKind.drug_test,
    Obligation.education: RecordKind.education,
    Obligation.thought_report: RecordKind.thought_report,
    Obligation.quantitative_assessment: RecordKind.assessment,
    Obligation.comprehensive_assessment: RecordKind.assessment,
    Obligation.counselling: RecordKind.counselling,
    Obligation.registration: RecordKind.registration,
}


def _filed_by_deadline(
    session: Session, path: str, rows: list[ObligationRow], policy: Policy
) -> dict[tuple[int, Obligation, date], int]:
    """For each done period: how many of its satisfying records were filed by its deadline day."""
    if not rows:
        return {}
    wanted: dict[tuple[int, Obligation], list[ObligationRow]] = defaultdict(list)
    for row in rows:
        wanted[(row.person_id, row.obligation)].append(row)
    # Each obligation's records from its own earliest period: weeks of visits, not a year of them.
    starts: dict[RecordKind, date] = {}
    for row in rows:
        kind = RECORD_KIND[row.obligation]
        starts[kind] = min(starts.get(kind, row.period_start), row.period_start)
    windows = [
        and_(Record.kind == kind, Record.occurred_at >= local_midnight(start, policy))
        for kind, start in starts.items()
    ]
    query = in_subtree(
        select(
            Record.person_id,
            Record.kind,
            Record.subkind,
            Record.result,
            Record.occurred_at,
            Record.created_at,
        ).select_from(Record),
        Record.person_id,
        path,
    ).where(Record.voided.is_(False), or_(*windows))
    found: dict[tuple[int, Obligation, date], int] = defaultdict(int)
    for person_id, kind, subkind, result, occurred_at, created_at in session.execute(query):
        obligation = obligation_of(kind, subkind, result)
        if obligation is None or (person_id, obligation) not in wanted:
            continue
        periods = wanted[(person_id, obligation)]
        on, filed = policy.local_date(occurred_at), policy.local_date(created_at)
        for row in periods:
            if row.period_start <= on <= row.period_end and filed <= row.due_date:
                found[(person_id, row.obligation, row.period_start)] += 1
    return found

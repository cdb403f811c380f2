"""Per-worker counts for the performance table, one grouped query each over the subtree.

Records filed (and filed late), reviews of a worker's reports, family messages and how fast they
were answered, urgent alerts taken: each added to the worker's running `Tallies`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.casework import Review, ReviewVerdict
from models.family import Direction, FamilyMessage, UrgentAlert
from models.records import Record
from models.services.digest.queries import UNANSWERED_AFTER
from models.services.digest.scope import in_subtree


class Tallies(Protocol):
    """What the counts add to (models.services.performance.table keeps one per worker)."""

    records: int
    late_records: int
    reviewed_correct: int
    reviewed_errors: int
    messages: int
    messages_slow: int
    message_minutes: list[float]
    alerts: int
    alert_minutes: list[float]


def count_records(
    session: Session, path: str, since: datetime, until: datetime, staff: Mapping[int, Tallies]
) -> None:
    query = (
        in_subtree(
            select(Record.author_id, func.count(), func.count().filter(Record.late.is_(True))).select_from(
                Record
            ),
            Record.person_id,
            path,
        )
        .where(Record.voided.is_(False), Record.created_at >= since, Record.created_at < until)
        .group_by(Record.author_id)
    )
    for author_id, n, late in session.execute(query):
        if author_id in staff:
            staff[author_id].records, staff[author_id].late_records = int(n), int(late or 0)


def count_reviews(
    session: Session, path: str, since: datetime, until: datetime, staff: Mapping[int, Tallies]
) -> None:
    """Reviews made in the period of each worker's reports, by verdict (a report counted once)."""
    query = (
        in_subtree(
            select(Record.author_id, Review.verdict, func.count(func.distinct(Record.id)))
            .select_from(Review)
            .join(Record, Record.id == Review.record_id),
            Record.person_id,
            path,
        )
        .where(Review.created_at >= since, Review.created_at < until)
        .group_by(Record.author_id, Review.verdict)
    )
    for author_id, verdict, n in session.execute(query):
        if author_id in staff:
            if verdict == ReviewVerdict.correct:
                staff[author_id].reviewed_correct = int(n)
            else:
                staff[author_id].reviewed_errors = int(n)


def count_messages(
    session: Session,
    path: str,
    since: datetime,
    until: datetime,
    asof: datetime,
    staff: Mapping[int, Tallies],
) -> None:
    query = in_subtree(
        select(FamilyMessage.worker_id, FamilyMessage.created_at, FamilyMessage.answered_at).select_from(
            FamilyMessage
        ),
        FamilyMessage.person_id,
        path,
    ).where(
        FamilyMessage.direction == Direction.from_family,
        FamilyMessage.created_at >= since,
        FamilyMessage.created_at < until,
    )
    for worker_id, created_at, answered_at in session.execute(query):
        worker = staff.get(worker_id)
        if worker is None:
            continue
        worker.messages += 1
        answered = answered_at is not None and answered_at <= asof
        if answered:
            worker.message_minutes.append((answered_at - created_at).total_seconds() / 60)
        waited = (answered_at if answered else asof) - created_at
        if waited > UNANSWERED_AFTER:
            worker.messages_slow += 1


def count_alerts(
    session: Session,
    path: str,
    since: datetime,
    until: datetime,
    asof: datetime,
    staff: Mapping[int, Tallies],
) -> None:
    query = in_subtree(
        select(UrgentAlert.acknowledged_by, UrgentAlert.created_at, UrgentAlert.acknowledged_at).select_from(
            UrgentAlert
        ),
        UrgentAlert.person_id,
        path,
    ).where(
        UrgentAlert.created_at >= since,
        UrgentAlert.created_at < until,
        or_(UrgentAlert.acknowledged_at.is_(None), UrgentAlert.acknowledged_at <= asof),
        UrgentAlert.acknowledged_by.is_not(None),
    )
    for worker_id, created_at, acknowledged_at in session.execute(query):
        worker = staff.get(worker_id)
        if worker is not None and acknowledged_at is not None:
            worker.alerts += 1
            worker.alert_minutes.append((acknowledged_at - created_at).total_seconds() / 60)

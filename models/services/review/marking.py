"""Report review (报表审核): a supervisor marks a report in their jurisdiction correct or wrong.

A report awaits review while its latest review is older than its last change: never reviewed, or
changed since (a correction is a new record, so it waits again). Only reports filed in the last
`REVIEW_WINDOW` count, so an old backlog does not drown the day's work. The latest review is the
verdict; "has errors" stays open until the author corrects the report. The latest review's time
and verdict are kept on the record (`add_review` writes both), so the clauses below read one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.access import Action
from models.audit import audit
from models.casework import Review, ReviewVerdict
from models.people import Person, Worker
from models.records import Record
from models.services.digest.scope import in_subtree
from models.services.identity import Identity
from models.services.rights import may

REVIEW_WINDOW = timedelta(days=30)
COMMENT_MAX = 500


def awaiting_clause() -> ColumnElement[bool]:
    """SQL: the record (Record) has no review, or its latest is older than its last change."""
    return or_(Record.reviewed_at.is_(None), Record.reviewed_at < Record.updated_at)


def errors_open_clause() -> ColumnElement[bool]:
    """SQL: the record's latest review, made since its last change, says it has errors."""
    return and_(Record.review_verdict == ReviewVerdict.has_errors, Record.reviewed_at >= Record.updated_at)


def add_review(
    session: Session,
    record_id: int,
    reviewer_id: int,
    verdict: ReviewVerdict,
    comment: str | None,
    *,
    at: datetime,
) -> Review:
    """Save a review and keep it on its record as the latest (the one place reviews are written).

    The record is written first: its row lock makes two reviews of one report at once wait for
    each other before either takes its id, so the one written last has the higher id (the latest,
    as the figures count it) on PostgreSQL as on SQLite."""
    # An UPDATE statement, not the record object: the record's facts are unchanged, so nobody's
    # obligations are worked out again (models.services.obligations.state notes changed records).
    session.execute(
        update(Record).where(Record.id == record_id).values(reviewed_at=at, review_verdict=verdict)
    )
    review = Review(
        record_id=record_id, reviewer_id=reviewer_id, verdict=verdict, comment=comment, created_at=at
    )
    session.add(review)
    session.flush()
    return review


def _window(query: Select, asof: datetime) -> Select:
    return query.where(
        Record.voided.is_(False), Record.created_at >= asof - REVIEW_WINDOW, Record.created_at <= asof
    )


@dataclass(frozen=True)
class ReviewCounts:
    awaiting: int
    errors_open: int  # marked "has errors", not corrected yet


def review_counts_by_area(session: Session, path: str, asof: datetime) -> dict[int, tuple[int, ...]]:
    """Per area of the subtree: reports awaiting review, and reports marked wrong not yet corrected
    (one pass over the window's reports: their latest review is kept on them)."""
    query = select(
        Person.area_id, func.count().filter(awaiting_clause()), func.count().filter(errors_open_clause())
    ).select_from(Record)
    rows = session.execute(_window(in_subtree(query, Record.person_id, path), asof).group_by(Person.area_id))
    return {area_id: (int(awaiting or 0), int(errors or 0)) for area_id, awaiting, errors in rows}


@dataclass(frozen=True)
class ReportView:
    """One report as the reviewer sees it: codes, not names."""

    id: int
    person_id: int
    person_code: str
    kind: str
    subkind: str | None
    result: str | None
    score: int | None
    occurred_at: datetime
    created_at: datetime
    author_code: str
    late: bool
    notes: str | None
    remaining: int  # awaiting review after this one


def next_awaiting(
    session: Session, who: Identity, path: str, *, after_id: int, now: datetime
) -> ReportView | None:
    """The oldest report awaiting review in the subtree after `after_id` (the caller checked the
    subtree is theirs); its reading is audited."""
    base = _window(in_subtree(select(Record.id).select_from(Record), Record.person_id, path), now).where(
        awaiting_clause(), Record.id > after_id
    )
    ids = list(session.scalars(base.order_by(Record.id).limit(1)))
    if not ids:
        return None
    remaining = session.scalar(select(func.count()).select_from(base.subquery())) or 1
    row = session.execute(
        select(Record, Person.code, Worker.code)
        .join(Person, Person.id == Record.person_id)
        .join(Worker, Worker.id == Record.author_id)
        .where(Record.id == ids[0])
    ).one()
    record, person_code, author_code = row
    audit(session, who.actor, "read", str(record.kind), record.id, at=now, person_id=record.person_id)
    return report_view(record, person_code, author_code, remaining - 1)


def report_view(record: Record, person_code: str, author_code: str, remaining: int) -> ReportView:
    """A report as the reviewer sees it (the caller has checked the subtree and audits the read)."""
    return ReportView(
        record.id,
        record.person_id,
        person_code,
        str(record.kind),
        record.subkind,
        record.result,
        record.score,
        record.occurred_at,
        record.created_at,
        author_code,
        record.late,
        record.notes,
        remaining,
    )


@dataclass(frozen=True)
class Reviewed:
    """A saved review, and whom to tell: the author's chat (None if they have no linked account)."""

    review_id: int
    record_id: int
    verdict: ReviewVerdict
    comment: str | None
    kind: str
    person_code: str
    author_chat_id: int | None


def may_review(session: Session, who: Identity, record_id: int, *, now: datetime) -> bool:
    """True if the record exists, is not voided and its person is in the caller's jurisdiction."""
    row = session.execute(select(Record.person_id, Record.voided).where(Record.id == record_id)).first()
    if row is None or row.voided:
        audit(session, who.actor, "refused", "record", record_id, at=now, detail=str(Action.review_record))
        return False
    return may(session, who, Action.review_record, row.person_id, now=now)


def _same_as_latest(
    session: Session, record: Record, reviewer_id: int, verdict: ReviewVerdict, comment: str | None
) -> Review | None:
    """The record's latest review if it is this very verdict by this reviewer since the last change.

    A double tap or a replayed button then saves nothing twice, and the author's notice (keyed by
    the review id) is not sent again; a different verdict or comment is a new review.
    """
    latest = session.scalars(
        select(Review).where(Review.record_id == record.id).order_by(Review.id.desc()).limit(1)
    ).first()
    if (
        latest is not None
        and latest.created_at >= record.updated_at
        and (latest.reviewer_id, latest.verdict, latest.comment) == (reviewer_id, verdict, comment)
    ):
        return latest
    return None


def review_record(
    session: Session,
    who: Identity,
    record_id: int,
    verdict: ReviewVerdict,
    comment: str | None,
    *,
    now: datetime,
) -> Reviewed | None:
    """Save a supervisor's verdict on a report; None (audited) if it is not theirs to review."""
    record = session.get(Record, record_id)
    if record is None or who.worker_id is None:
        audit(session, who.actor, "refused", "record", record_id, at=now, detail=str(Action.review_record))
        return None
    if not may(session, who, Action.review_record, record.person_id, now=now) or record.voided:
        if record.voided:
            audit(session, who.actor, "refused", "record", record_id, at=now, detail="voided")
        return None
    text = (comment or "").strip()[:COMMENT_MAX] or None
    review = _same_as_latest(session, record, who.worker_id, verdict, text)
    if review is None:
        review = add_review(session, record.id, who.worker_id, verdict, text, at=now)
        audit(
            session,
            who.actor,
            "review",
            str(record.kind),
            record.id,
            at=now,
            person_id=record.person_id,
            detail=str(verdict),
        )
    author_chat = session.scalar(select(Worker.telegram_user_id).where(Worker.id == record.author_id))
    person_code = session.scalar(select(Person.code).where(Person.id == record.person_id)) or ""
    return Reviewed(review.id, record.id, verdict, text, str(record.kind), person_code, author_chat)

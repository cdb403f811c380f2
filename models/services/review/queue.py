"""The review queue as a list (the Mini App's): reports awaiting review, filtered, or a weekly sample.

The same reports as `/review` walks one by one (models.services.review.marking: the window, "awaiting"),
narrowed by area, author, kind or lateness. A sample takes up to N reports per author per week,
drawn at random but the same all week for the same supervisor, so reopening the page does not
reshuffle it. Each report listed is a read of a person's record: audited as `next_awaiting` does.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from models.audit import audit
from models.people import Person, Worker
from models.records import Record, RecordKind
from models.services.digest.scope import in_subtree
from models.services.identity import Identity
from models.services.review.marking import ReportView, _window, awaiting_clause, report_view

Found = Row[Record, str, str]  # a report, its person's code, its author's code
QUEUE_LIMIT = 200  # reports one page lists; the count says how many more wait


@dataclass(frozen=True)
class QueueFilter:
    worker_id: int | None = None  # the author
    kind: RecordKind | None = None
    late_only: bool = False
    sample: int = 0  # per author; 0: no sampling, the oldest first
    since: datetime | None = None  # filed from then on (a sample: the week's start)


@dataclass(frozen=True)
class Queue:
    items: tuple[ReportView, ...]  # as `/review` shows one; `remaining`: listed after it
    awaiting: int  # matching the filter (before sampling)


def review_queue(
    session: Session, who: Identity, path: str, wanted: QueueFilter, *, now: datetime, week: str
) -> Queue:
    """Reports awaiting review in the subtree at `path` (the caller checked it is theirs)."""
    query = _window(
        in_subtree(select(Record, Person.code, Worker.code).select_from(Record), Record.person_id, path).join(
            Worker, Worker.id == Record.author_id
        ),
        now,
    ).where(awaiting_clause())
    if wanted.worker_id is not None:
        query = query.where(Record.author_id == wanted.worker_id)
    if wanted.kind is not None:
        query = query.where(Record.kind == wanted.kind)
    if wanted.since is not None:
        query = query.where(Record.created_at >= wanted.since)
    if wanted.late_only:
        query = query.where(Record.late.is_(True))
    awaiting = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    picked: list[Found]
    if wanted.sample:  # the week's reports, a few of each author's
        rows: list[Found] = list(session.execute(query.order_by(Record.id)))
        picked = _sample(rows, wanted.sample, seed=f"{who.worker_id}:{week}")[:QUEUE_LIMIT]
    else:  # the oldest first, a page of them (a county's backlog runs to thousands)
        picked = list(session.execute(query.order_by(Record.id).limit(QUEUE_LIMIT)))
    items = [report_view(row[0], row[1], row[2], len(picked) - n - 1) for n, row in enumerate(picked)]
    for item in items:
        audit(session, who.actor, "read", item.kind, item.id, at=now, person_id=item.person_id)
    return Queue(tuple(items), awaiting)


def _sample(rows: list[Found], size: int, *, seed: str) -> list[Found]:
    """Up to `size` reports of each author, drawn with a generator seeded by supervisor and week."""
    by_author: dict[int, list[Found]] = defaultdict(list)
    for row in rows:
        by_author[row[0].author_id].append(row)
    draw = random.Random(seed)  # a fair sample, not a secret
    picked = [
        item
        for author in sorted(by_author)
        for item in draw.sample(by_author[author], min(size, len(by_author[author])))
    ]
    return sorted(picked, key=lambda row: row[0].id)

"""The review queue as a list (the Mini App's): reports awaiting review, filtered, or a weekly sample.

The same reports as `/review` walks one by one (models.services.review: the window, "awaiting"),
narrowed by area, author, kind or lateness. A sample takes up to N reports per author per week,
drawn at random but the same all week for the same supervisor, so reopening the page does not
reshuffle it. Each report listed is a read of a person's record: audited as `next_awaiting` does.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import audit
from models.people import Person, Worker
from models.records import Record, RecordKind
from models.services.digest_scope import in_subtree
from models.services.identity import Identity
from models.services.review import _window, awaiting_clause

QUEUE_LIMIT = 200  # reports one page lists; the count says how many more wait


@dataclass(frozen=True)
class QueueFilter:
    worker_id: int | None = None  # the author
    kind: RecordKind | None = None
    late_only: bool = False
    sample: int = 0  # per author; 0: no sampling, the oldest first
    since: datetime | None = None  # filed from then on (a sample: the week's start)


@dataclass(frozen=True)
class QueueItem:
    id: int
    person_id: int
    person_code: str
    kind: str
    subkind: str | None
    result: str | None
    occurred_at: datetime
    created_at: datetime
    author_id: int
    author_code: str
    late: bool


@dataclass(frozen=True)
class Queue:
    items: tuple[QueueItem, ...]
    awaiting: int  # matching the filter (before sampling)


def review_queue(
    session: Session, who: Identity, path: str, wanted: QueueFilter, *, now: datetime, week: str
) -> Queue:
    """Reports awaiting review in the subtree at `path` (the caller checked it is theirs)."""
    query = _window(
        in_subtree(
            select(
                Record.id,
                Record.person_id,
                Person.code,
                Record.kind,
                Record.subkind,
                Record.result,
                Record.occurred_at,
                Record.created_at,
                Record.author_id,
                Worker.code,
                Record.late,
            ).select_from(Record),
            Record.person_id,
            path,
        ).join(Worker, Worker.id == Record.author_id),
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
    rows = [
        QueueItem(r[0], r[1], r[2], str(r[3]), r[4], r[5], r[6], r[7], r[8], r[9], r[10])
        for r in session.execute(query.order_by(Record.id))
    ]
    picked = _sample(rows, wanted.sample, seed=f"{who.worker_id}:{week}") if wanted.sample else rows
    picked = picked[:QUEUE_LIMIT]
    for item in picked:
        audit(session, who.actor, "read", item.kind, item.id, at=now, person_id=item.person_id)
    return Queue(tuple(picked), len(rows))


def _sample(rows: list[QueueItem], size: int, *, seed: str) -> list[QueueItem]:
    """Up to `size` reports of each author, drawn with a generator seeded by supervisor and week."""
    by_author: dict[int, list[QueueItem]] = defaultdict(list)
    for row in rows:
        by_author[row.author_id].append(row)
    draw = random.Random(seed)  # a fair sample, not a secret
    picked = [
        item
        for author in sorted(by_author)
        for item in draw.sample(by_author[author], min(size, len(by_author[author])))
    ]
    return sorted(picked, key=lambda item: item.id)

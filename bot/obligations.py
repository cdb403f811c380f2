"""Working out many persons' kept obligations at once, a batch per unit of work.

Each person's items are kept (models.services.obligations.state) and rewritten by whatever changes
them; these are for when many change at once, so that the morning list and the chat never work
out a whole city on their path:

* `rebuild`: everybody's items (or an area's) worked out again, whatever their stamps say: after
  a change of the locality's rules file, or to repair what `gridcare obligations verify` found.
* `catch_up`: only the managed persons whose items do not hold today (never worked out, stale):
  after an import of persons or the sandbox's demo city, written without a day to work out for.

Both commit each batch of `state.BATCH` persons in its own unit of work (a long run never holds
locks for long, and one stopped midway keeps what it did) and are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Database
from models.people import Person
from models.policy import Policy
from models.services.obligations.state import BATCH, people_within, prepare_roll, refresh, roll, roll_pending
from models.services.sql import chunks

Progress = Callable[[int, int], None]  # (done, total)


def _ids(session: Session, area_path: str | None) -> list[int]:
    people = people_within(area_path)
    return list(session.scalars(select(Person.id).where(Person.id.in_(people)).order_by(Person.id)))


def rebuild(
    db: Database,
    today: date,
    policy: Policy,
    *,
    area_path: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Work out again, for `today`, the items of everybody (or of an area's subtree), a batch of
    `BATCH` persons per unit of work; the number of persons done."""
    ids = db.call(_ids, area_path)
    done = worked = 0
    if progress is not None:
        progress(0, len(ids))
    for chunk in chunks(ids, BATCH):
        worked += db.call(refresh, chunk, today, policy)
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
    return worked


def catch_up(db: Database, today: date, policy: Policy, *, progress: Progress | None = None) -> int:
    """Work out, for `today`, the managed persons whose kept items do not hold (never worked out,
    kept on other rules, or a new period begun): marked once (`state.prepare_roll`), then a batch
    per unit of work (`state.roll`) until nobody is left; the number of persons done."""
    db.call(prepare_roll, today, policy)
    pending = db.call(roll_pending, today)
    done = 0
    if progress is not None:
        progress(0, pending)
    for _ in range(pending // BATCH + 2):  # bounded: a batch is BATCH persons but the last
        count = db.call(roll, today, policy)
        if not count:
            break
        done += count
        if progress is not None:
            progress(min(done, pending), pending)
    return done

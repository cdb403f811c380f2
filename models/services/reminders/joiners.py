"""Workers who join after the day's notices went out: linked, or given people, later that day.

A day's notices (campaign days, the overdue ladder, programme endings, the digest) are owed per
recipient, not per run: a worker who links their account at 10:09, or takes over a colleague's
people at 14:00, still gets each of that day's notices once. The daily jobs run once a day for
everyone; whatever links or reassigns a worker also marks them here, in the same unit of work,
and a frequent job (bot/jobs.py, "joiners") gives the marked workers what the day's jobs that
already ran owe them, then clears the mark. The notices' own keys (outbox dedupe keys, overdue
rungs) keep this to once per recipient, so a worker marked twice, or before the day's job, gets
nothing twice.

A mark is a `job_runs` row of job "joined" keyed by the worker, `started_at` when they last
joined, deleted once their notices are caught up: the marks are the workers waiting, so a run with
nobody new reads one empty index range.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.outbox import JobRun
from models.services.sql import upsert

JOINED = "joined"  # job_runs.job of the marks


@dataclass(frozen=True)
class Joiner:
    """A worker marked as joined at `since`, whose notices are not caught up yet."""

    worker_id: int
    since: datetime


def mark_joined(session: Session, worker_ids: Collection[int], *, now: datetime) -> None:
    """These workers were linked or given people now: owe them the day's notices (same unit of work)."""
    for worker_id in sorted(set(worker_ids)):
        values = {"job": JOINED, "run_key": str(worker_id), "started_at": now}
        upsert(session, JobRun, values, ["job", "run_key"])


def pending_joiners(session: Session) -> list[Joiner]:
    """The marked workers whose notices are not caught up yet."""
    rows = session.execute(select(JobRun.run_key, JobRun.started_at).where(JobRun.job == JOINED))
    return [Joiner(int(key), since) for key, since in rows if key.isdigit()]


def caught_up(session: Session, joiners: Sequence[Joiner]) -> None:
    """Clear these marks, unless the worker joined again meanwhile (then the next run serves them)."""
    for j in joiners:
        session.execute(
            delete(JobRun).where(
                JobRun.job == JOINED, JobRun.run_key == str(j.worker_id), JobRun.started_at == j.since
            )
        )

"""Scheduled jobs run once per run key (e.g. the morning run of one day), whoever runs them.

The `job_runs` row is inserted in the same unit of work as the job's own changes: if the job
fails, both roll back and the next tick tries again; if two processes try at once, the second
insert waits for the first to commit and then finds the key taken.

A day's work can also be planned as batches (`plan_batches`), one `job_runs` row each, that any
process claims (`claim_batch`: `FOR UPDATE SKIP LOCKED` on PostgreSQL) and marks done in the
batch's own unit of work: several processes share the work, and a batch whose process died is
free again once its transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.outbox import JobRun
from models.services.sql import changed_rows, insert_ignore, insert_ignore_many

KEEP_JOB_RUNS = timedelta(days=60)


@dataclass(frozen=True)
class RunRecord:
    job: str
    run_key: str
    started_at: datetime
    finished_at: datetime | None
    detail: str | None


def begin_run(session: Session, job: str, run_key: str, *, now: datetime) -> bool:
    """Take the run key for this unit of work; False if the job already ran (or runs) for it."""
    values = {"job": job, "run_key": run_key, "started_at": now}
    return insert_ignore(session, JobRun, values, ["job", "run_key"], JobRun.job) is not None


def finish_run(session: Session, job: str, run_key: str, *, now: datetime, detail: str) -> None:
    """Record the end of a run begun in this unit of work (detail: a count, never personal data)."""
    session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.run_key == run_key)
        .values(finished_at=now, detail=detail[:200])
    )


def recent_runs(session: Session, job: str, *, limit: int = 10) -> list[RunRecord]:
    """The job's latest runs, newest first."""
    rows = session.scalars(
        select(JobRun).where(JobRun.job == job).order_by(JobRun.started_at.desc()).limit(limit)
    )
    return [RunRecord(r.job, r.run_key, r.started_at, r.finished_at, r.detail) for r in rows]


def prune_job_runs(session: Session, *, now: datetime) -> int:
    """Forget runs older than the longest period any job keys on."""
    return changed_rows(session, delete(JobRun).where(JobRun.started_at < now - KEEP_JOB_RUNS))


BATCHES = ":batches"  # the suffix of the job name under which a job's planned batches are kept


def plan_batches(session: Session, job: str, day: date, starts: Sequence[str], *, now: datetime) -> int:
    """Plan a day's batches of a job: batch i covers the keys (area paths, say) from `starts[i]` up
    to the next batch's start (the last, to the end). Planned once a day: a second plan adds
    nothing. The batches planned."""
    bounds = [*starts, ""]
    values = [
        {
            "job": job + BATCHES,
            "run_key": f"{day.isoformat()}:{i:06d}",
            "started_at": now,
            "detail": f"{low}\t{high}",
        }
        for i, (low, high) in enumerate(pairwise(bounds))
    ]
    return len(insert_ignore_many(session, JobRun, values, ["job", "run_key"], JobRun.run_key))


def claim_batch(session: Session, job: str, day: date, *, now: datetime) -> tuple[str, str | None] | None:
    """The next planned batch of the day nobody has done or holds, marked done in this unit of work
    (undone again if it rolls back): its range (the upper end None for the last); None when none is
    left."""
    query = (
        select(JobRun)
        .where(
            JobRun.job == job + BATCHES,
            JobRun.run_key.like(f"{day.isoformat()}:%"),
            JobRun.finished_at.is_(None),
        )
        .order_by(JobRun.run_key)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    # PostgreSQL re-reads a row it locks after another process changed it (READ COMMITTED): a batch
    # finished meanwhile no longer matches, so the claim never returns a done batch.
    claimed = session.scalars(query).first()
    if claimed is None:
        return None
    claimed.finished_at = now
    low, high = (claimed.detail or "\t").split("\t")
    return low, high or None

"""Scheduled jobs run once per run key (e.g. the morning run of one day), whoever runs them.

The `job_runs` row is inserted in the same unit of work as the job's own changes: if the job
fails, both roll back and the next tick tries again; if two processes try at once, the second
insert waits for the first to commit and then finds the key taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.outbox import JobRun
from models.services.sql import changed_rows, insert_ignore

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

"""The scheduled jobs: what runs, and for which run key.

A job is a handler-level function `fn(jctx: JobCtx) -> int` (the count it did, for the log) and
a `when`: for a moment, the run key it is due under, or None if it is not due. The scheduler
(bot/scheduler.py) runs a job when its key has no `job_runs` row yet, in one unit of work with
that row, so each key runs once across restarts and processes. Keys make missed runs catch up
once: `daily_at(morning)` keys a day by its date from 08:30 on, so a bot that was down at 08:30
and starts at 11:00 runs that morning's job once, at 11:00, and never yesterday's.

A day's notices are owed per recipient, not per run: a daily job that tells workers something
says, as `owed`, how to tell only some workers. A worker linked or given people after the job ran
that day (models.services.joiners) gets it from the "joiners" job, within a minute; the notices'
own keys keep it to once each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from handlers import hygiene
from handlers import jobs_reminders as rem
from handlers.appointments.family import remind_families
from handlers.casework.escalation import escalate_lost_contacts
from handlers.context import JobCtx
from handlers.dialogs.drafts import expire_drafts
from handlers.family_staff import escalate_alerts
from handlers.supervisor_digest import daily_digests
from models.policy import Policy
from models.services.batches import BATCH_WORKERS
from models.services.jobruns import prune_job_runs
from models.services.joiners import caught_up, pending_joiners
from models.services.pace import prune_pace
from models.services.sql import chunks
from models.services.updates import prune_processed

JobFn = Callable[[JobCtx], int]
OwedFn = Callable[[JobCtx, Sequence[int]], int]
RunKey = Callable[[datetime, Policy], str | None]
LocalTime = time | Callable[[Policy], time]


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name (≤ 40 characters), when it is due, and what it does; for a daily
    job that tells workers something, what it owes workers who join after it ran (`owed`)."""

    name: str
    when: RunKey
    fn: JobFn
    owed: OwedFn | None = None


def every(period: timedelta) -> RunKey:
    """Due once per period, counted in UTC from the epoch (e.g. every 5 minutes: 10:00, 10:05 …)."""
    seconds = int(period.total_seconds())
    if seconds <= 0:
        raise ValueError("a job's period must be positive")

    def key(now: datetime, _policy: Policy) -> str:
        start = int(now.timestamp()) // seconds * seconds
        return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%S")

    return key


def daily_at(at: LocalTime, *, until: LocalTime | None = None) -> RunKey:
    """Due once per local day, from `at` (and before `until`, if given) in the policy's time zone.

    `at` may be a time or a function of the policy (e.g. `lambda p: p.morning_at`), so a locality's
    configured time is read when the job is checked.
    """

    def key(now: datetime, policy: Policy) -> str | None:
        local = now.astimezone(policy.tz)
        start = at(policy) if callable(at) else at
        end = until(policy) if callable(until) else until
        if local.time() < start or (end is not None and local.time() >= end):
            return None
        return local.date().isoformat()

    return key


# -- housekeeping --------------------------------------------------------------------------------


def prune_updates(jctx: JobCtx) -> int:
    """Forget processed Telegram update ids older than a few days."""
    return jctx.call(prune_processed, now=jctx.now)


def prune_bookkeeping(jctx: JobCtx) -> int:
    """Forget old job runs and chats' send pace long past."""
    runs = jctx.call(prune_job_runs, now=jctx.now)
    return runs + jctx.call(prune_pace, before=jctx.now.timestamp() - 86400)


# -- workers who join late ----------------------------------------------------------------------


def joiners(jctx: JobCtx) -> int:
    """Workers linked or given people since their notices went out get what the jobs due so far
    today owe them (a job not due yet will include them itself); nobody new: one short read."""
    pending = jctx.call(pending_joiners)
    if not pending:
        return 0
    owing = [j.owed for j in FEATURES if j.owed is not None and j.when(jctx.now, jctx.policy) is not None]
    count = 0
    for batch in chunks(sorted({j.worker_id for j in pending}), BATCH_WORKERS):
        count += sum(owed(jctx, batch) for owed in owing)
    jctx.call(caught_up, pending)
    return count


HOUSEKEEPING: tuple[Job, ...] = (
    Job("prune_updates", every(timedelta(hours=1)), prune_updates),
    Job("prune_bookkeeping", daily_at(time(3, 0)), prune_bookkeeping),
)

FEATURES: tuple[Job, ...] = (
    Job("morning", every(timedelta(minutes=10)), rem.morning, rem.mornings_owed),  # each at their own time
    Job("morning_refresh", every(timedelta(minutes=30)), rem.refresh_mornings),  # backstop for ticks
    Job("escalate", daily_at(time(9, 0)), rem.escalate, lambda j, ids: rem.escalate(j, worker_ids=ids)),
    Job(
        "campaigns",
        daily_at(lambda p: p.morning_at),
        rem.campaigns,
        lambda j, ids: rem.campaigns(j, worker_ids=ids),
    ),
    Job(
        "case_endings",
        daily_at(time(9, 0)),
        rem.case_endings,
        lambda j, ids: rem.case_endings(j, worker_ids=ids),
    ),
    Job("appointment_family", daily_at(lambda p: p.morning_at), remind_families),  # 面谈提醒, once per member
    Job("escalate_alerts", every(timedelta(minutes=1)), escalate_alerts),
    Job(
        "escalate_lost_contacts", every(timedelta(minutes=1)), escalate_lost_contacts
    ),  # 失联 nobody confirmed
    Job(
        "daily_digests",
        daily_at(lambda p: p.digest_at),
        daily_digests,
        lambda j, ids: daily_digests(j, worker_ids=ids),
    ),
    Job("sensitive_delete", every(timedelta(minutes=5)), hygiene.delete_sensitive),  # off unless configured
    Job("drafts", every(timedelta(minutes=5)), expire_drafts),  # warned 30 minutes before they go
    Job("joiners", every(timedelta(minutes=1)), joiners),  # after the daily jobs it serves
)

JOBS: tuple[Job, ...] = (*HOUSEKEEPING, *FEATURES)

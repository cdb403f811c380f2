"""The scheduled jobs: what runs, and when.

A job is a handler-level function `fn(jctx: JobCtx) -> int` (the count it did, for the log) and
a `Schedule`: an APScheduler trigger, whose slots bot/scheduler.py fires, and the run key that
names a slot (its day, or its start). A job runs for a key only if `job_runs` has no row for it,
inserted in one unit of work with the job's own changes, so each slot runs once across restarts
and processes. A run missed while the bot was down happens once on start, if its slot is still
the latest and recent enough: a daily one the same local day (down at 08:30 and up at 11:00, the
bot runs that morning's job at 11:00, and never yesterday's), a periodic one within its period.

A day's notices are owed per recipient, not per run: a daily job that tells workers something
says, as `owed`, how to tell only some workers. A worker linked or given people after the job ran
that day (models.services.reminders.joiners) gets it from the "joiners" job, within a minute; the notices'
own keys keep it to once each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from handlers import hygiene
from handlers.appointments.family import remind_families
from handlers.casework.escalation import escalate_lost_contacts
from handlers.context import JobCtx
from handlers.dialogs.drafts import expire_drafts
from handlers.family.staff import escalate_alerts
from handlers.reminders import jobs as rem
from handlers.supervisor.digest import daily_digests, digest_batch, plan_digests
from models.audit import Actor, audit
from models.policy import Policy
from models.services.batches import BATCH_WORKERS
from models.services.jobruns import prune_job_runs
from models.services.obligations.state import prepare_roll, roll
from models.services.outbox.pace import prune_pace
from models.services.outbox.prune import prune_outbox
from models.services.reminders.joiners import caught_up, pending_joiners
from models.services.reminders.morning import prune_morning_marks
from models.services.sql import chunks
from models.services.updates import prune_processed

JobFn = Callable[[JobCtx], int]
OwedFn = Callable[[JobCtx, Sequence[int]], int]
LocalTime = time | Callable[[Policy], time]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    """A trigger for the policy (its time zone, its morning), how it writes a slot's run key, and
    how late a slot may run: within its period for `every`, else until local midnight."""

    trigger: Callable[[Policy], BaseTrigger]
    key: str
    period: timedelta | None = None

    def run_key(self, now: datetime, policy: Policy) -> str | None:
        """The key of the latest slot up to `now` that may still run, or None: APScheduler's
        coalesce and misfire grace, counted against job_runs, which outlive the process."""
        midnight = datetime.combine(policy.local_date(now), time(), policy.tz)
        since = midnight if self.period is None else now - self.period
        trigger, latest = self.trigger(policy), None
        slot = trigger.get_next_fire_time(None, since)
        while slot is not None and slot <= now:
            latest, slot = slot, trigger.get_next_fire_time(slot, now)
        return None if latest is None else latest.strftime(self.key)


def every(period: timedelta) -> Schedule:
    """Every period, counted in UTC from the epoch (every 5 minutes: 10:00, 10:05 …)."""
    trigger = IntervalTrigger(seconds=period.total_seconds(), start_date=EPOCH, timezone=UTC)
    return Schedule(lambda _policy: trigger, "%Y-%m-%dT%H:%M:%S", period)


def daily_at(at: LocalTime) -> Schedule:
    """Once a local day at `at` in the policy's time zone; `at` may be a function of the policy
    (e.g. `lambda p: p.morning_at`), so a locality's configured time is read."""

    def trigger(policy: Policy) -> BaseTrigger:
        t = at(policy) if callable(at) else at
        return CronTrigger(hour=t.hour, minute=t.minute, second=t.second, timezone=policy.tz)

    return Schedule(trigger, "%Y-%m-%d")


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name (≤ 40 characters), when it is due, and what it does; for a daily
    job that tells workers something, what it owes workers who join after it ran (`owed`).

    `fn` runs once per slot, by the process that leads, in one unit of work with the slot's run key.
    A job with `batch` then shares the rest among every running process: each calls `batch`, one
    claimed batch per unit of work, until it returns 0 (bot/scheduler.py: `drain`).
    """

    name: str
    when: Schedule
    fn: JobFn
    owed: OwedFn | None = None
    batch: JobFn | None = None


# -- housekeeping --------------------------------------------------------------------------------


def prune_updates(jctx: JobCtx) -> int:
    """Forget processed Telegram update ids older than a few days."""
    return jctx.call(prune_processed, now=jctx.now)


def prune_bookkeeping(jctx: JobCtx) -> int:
    """Forget old job runs, mornings' marks and chats' send pace long past."""
    runs = jctx.call(prune_job_runs, now=jctx.now) + jctx.call(prune_morning_marks, today=jctx.today)
    return runs + jctx.call(prune_pace, before=jctx.now.timestamp() - 86400)


def prune_sent(jctx: JobCtx) -> int:
    """Delete delivered and dead outbox rows past the retention (models.services.outbox.prune), a
    few batches a run; audited as a count, nothing about whom or what."""
    retention = timedelta(days=jctx.policy.outbox_retention_days)
    gone = jctx.call(prune_outbox, now=jctx.now, retention=retention, policy=jctx.policy)
    if gone:
        jctx.call(audit, Actor.system(), "prune", "outbox", None, at=jctx.now, detail=f"rows: {gone}")
    return gone


def nightly_every(period: timedelta, hours: str) -> Schedule:
    """Every `period` within the local `hours` (cron syntax, e.g. "3-4"): short runs at a quiet
    time, each its own unit of work, so a long backlog never holds the database for long."""
    minutes = f"*/{int(period.total_seconds() // 60)}"

    def trigger(policy: Policy) -> BaseTrigger:
        return CronTrigger(hour=hours, minute=minutes, timezone=policy.tz)

    return Schedule(trigger, "%Y-%m-%dT%H:%M", period)


def no_setup(_jctx: JobCtx) -> int:
    """A job whose whole work is in its batches."""
    return 0


def mark_obligations_due(jctx: JobCtx) -> int:
    """Before the night's roll: persons never worked out, or kept on other rules, are marked due."""
    return jctx.call(prepare_roll, jctx.today, jctx.policy)


def roll_obligations(jctx: JobCtx) -> int:
    """A batch of the night's roll: persons whose kept obligations no longer hold today (a new week,
    month or half-year) worked out again, before anyone reads them (issue 15)."""
    return jctx.call(roll, jctx.today, jctx.policy)


# -- workers who join late ----------------------------------------------------------------------


def joiners(jctx: JobCtx) -> int:
    """Workers linked or given people since their notices went out get what the jobs due so far
    today owe them (a job not due yet will include them itself); nobody new: one short read."""
    pending = jctx.call(pending_joiners)
    if not pending:
        return 0
    owing = [j.owed for j in FEATURES if j.owed is not None and j.when.run_key(jctx.now, jctx.policy)]
    count = 0
    for batch in chunks(sorted({j.worker_id for j in pending}), BATCH_WORKERS):
        count += sum(owed(jctx, batch) for owed in owing)
    jctx.call(caught_up, pending)
    return count


AT_MORNING = daily_at(lambda p: p.morning_at)  # the locality's morning, 08:30 by default
AT_NINE = daily_at(time(9, 0))
AT_DIGEST = daily_at(lambda p: p.digest_at)
EACH_MINUTE = every(timedelta(minutes=1))

HOUSEKEEPING: tuple[Job, ...] = (
    Job("prune_updates", every(timedelta(hours=1)), prune_updates),
    Job("prune_bookkeeping", daily_at(time(3, 0)), prune_bookkeeping),
    Job("prune_outbox", nightly_every(timedelta(minutes=10), "3-4"), prune_sent),  # 03:00-04:50
    # Just after midnight, so the day's new periods are kept before the first read and the morning.
    Job("roll_obligations", daily_at(time(0, 5)), mark_obligations_due, batch=roll_obligations),
)

FEATURES: tuple[Job, ...] = (
    # Each worker at their own time; the lists are shared out in batches among the processes.
    Job("morning", every(timedelta(minutes=10)), no_setup, rem.mornings_owed, batch=rem.morning_batch),
    Job("morning_refresh", every(timedelta(minutes=30)), rem.refresh_mornings),  # backstop for ticks
    # The ladder is planned as batches of whole communities, shared out among the processes.
    Job(
        "escalate",
        AT_NINE,
        rem.plan_ladder,
        lambda j, ids: rem.escalate(j, worker_ids=ids),
        batch=rem.ladder_batch,
    ),
    Job("campaigns", AT_MORNING, rem.campaigns, lambda j, ids: rem.campaigns(j, worker_ids=ids)),
    Job("case_endings", AT_NINE, rem.case_endings, lambda j, ids: rem.case_endings(j, worker_ids=ids)),
    Job("appointment_family", AT_MORNING, remind_families),  # 面谈提醒, once per member
    Job("escalate_alerts", EACH_MINUTE, escalate_alerts),
    Job("escalate_lost_contacts", EACH_MINUTE, escalate_lost_contacts),  # 失联 nobody confirmed
    Job(
        "daily_digests",
        AT_DIGEST,
        plan_digests,
        lambda j, ids: daily_digests(j, worker_ids=ids),
        batch=digest_batch,
    ),
    Job("sensitive_delete", every(timedelta(minutes=5)), hygiene.delete_sensitive),  # off unless configured
    Job("drafts", every(timedelta(minutes=5)), expire_drafts),  # warned 30 minutes before they go
    Job("joiners", EACH_MINUTE, joiners),  # after the daily jobs it serves
)

JOBS: tuple[Job, ...] = (*HOUSEKEEPING, *FEATURES)

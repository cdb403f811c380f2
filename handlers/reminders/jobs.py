"""The scheduled jobs of reminders (issue 5), as the scheduler and the sweep call them: each is
`fn(jctx) -> int` (messages queued, or workers dealt with for a batch) and runs its use case of
models.services.reminders.sending in the job's unit of work, the job's context as the poster."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from handlers.context import JobCtx, Work
from models.services.reminders import sending
from models.services.reminders.notices import campaign_reminders, case_ending_tasks


def day_of(work: Work) -> sending.Day:
    return sending.Day(work.now, work.today, work.policy)


def morning(jctx: JobCtx) -> int:
    """早间提醒, all at once in one unit of work (the sweep by hand); each worker's list goes at
    their own time, once a day."""
    return jctx.call(sending.send_mornings, jctx, day_of(jctx))


def morning_batch(jctx: JobCtx) -> int:
    """One batch of the scheduled morning (sending.morning_batch): the workers dealt with."""
    return jctx.call(sending.morning_batch, jctx, day_of(jctx))


def mornings_owed(jctx: JobCtx, worker_ids: Sequence[int]) -> int:
    """Workers who joined late: their list now, or brought up to date (sending.mornings_owed)."""
    return jctx.call(sending.mornings_owed, jctx, worker_ids, day_of(jctx))


def refresh_worker(work: Work, worker_id: int) -> int:
    """Tick off today's morning message of a worker (1 if an edit was queued); in a chat update's
    unit of work too."""
    return work.call(sending.refresh_worker, work, worker_id, day_of(work))


def refresh_mornings(jctx: JobCtx) -> int:
    """Bring every morning message of today up to date (a safety net for refresh_worker)."""
    return jctx.call(sending.refresh_mornings, jctx, day_of(jctx))


def escalate(jctx: JobCtx, *, area_path: str | None = None, worker_ids: Collection[int] | None = None) -> int:
    """The overdue ladder (sending.escalate)."""
    return jctx.call(sending.escalate, jctx, day_of(jctx), area_path=area_path, worker_ids=worker_ids)


def plan_ladder(jctx: JobCtx) -> int:
    """The scheduled ladder's plan: the day's batches, for every process to claim (sending.plan_ladder)."""
    return jctx.call(sending.plan_ladder, day_of(jctx))


def ladder_batch(jctx: JobCtx) -> int:
    """One batch of the scheduled ladder (sending.ladder_batch): the areas dealt with."""
    return jctx.call(sending.ladder_batch, jctx, day_of(jctx))


def campaigns(
    jctx: JobCtx, *, area_path: str | None = None, worker_ids: Collection[int] | None = None
) -> int:
    """Campaign-day reminders due today (models.services.reminders.notices.campaign_reminders)."""
    return jctx.call(
        campaign_reminders,
        jctx,
        policy=jctx.policy,
        today=jctx.today,
        area_path=area_path,
        worker_ids=worker_ids,
    )


def case_endings(
    jctx: JobCtx, *, area_path: str | None = None, worker_ids: Collection[int] | None = None
) -> int:
    """ "Case ending" tasks a month before a programme ends (models.services.reminders.notices)."""
    return jctx.call(
        case_ending_tasks,
        jctx,
        policy=jctx.policy,
        today=jctx.today,
        area_path=area_path,
        worker_ids=worker_ids,
    )

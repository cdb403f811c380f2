"""The running bot at a glance, from the database: what `/metrics` exports and `gridcare doctor` checks.

Counts and ages only: no names, no chat ids, nothing from a message (they end up in metric labels
and on an operator's terminal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.alerts import AlertLog
from models.family import UrgentAlert
from models.outbox import JobRun
from models.services.jobruns import BATCHES
from models.services.outbox.queue import QueueState, queue_state


@dataclass(frozen=True)
class AlertState:
    open: int  # urgent alerts nobody has taken yet
    past_deadline: int  # of those, older than the acknowledgement deadline
    unrouted: int  # alerts still missing a role nobody could be found for


@dataclass(frozen=True)
class Health:
    outbox: QueueState
    alerts: AlertState
    last_success: dict[str, datetime]  # job name -> when its latest run finished


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def alert_state(session: Session, *, now: datetime, ack_timeout: timedelta) -> AlertState:
    open_alerts = UrgentAlert.acknowledged_at.is_(None)
    count = select(func.count()).select_from(UrgentAlert)
    return AlertState(
        open=session.scalar(count.where(open_alerts)) or 0,
        past_deadline=session.scalar(count.where(open_alerts, UrgentAlert.created_at <= now - ack_timeout))
        or 0,
        unrouted=session.scalar(select(func.count()).select_from(AlertLog).where(AlertLog.unrouted != ""))
        or 0,
    )


def last_successes(session: Session) -> dict[str, datetime]:
    """Each job's latest finished run (any process's: the runs are shared; not the planned batches)."""
    rows = session.execute(
        select(JobRun.job, func.max(JobRun.finished_at))
        .where(JobRun.finished_at.is_not(None), ~JobRun.job.endswith(BATCHES))
        .group_by(JobRun.job)
    )
    return {job: _aware(at) for job, at in rows if at is not None}


def health(session: Session, *, now: datetime, ack_timeout: timedelta) -> Health:
    return Health(
        outbox=queue_state(session, now=now),
        alerts=alert_state(session, now=now, ack_timeout=ack_timeout),
        last_success=last_successes(session),
    )

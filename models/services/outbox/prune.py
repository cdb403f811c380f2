"""Pruning the outbox: delivered and dead rows go once the configured retention has passed.

Without it the table keeps every message ever sent, and every lookup that cannot seek past the
history pays for it. What must stay:

* Rows still to go (pending, sending): never touched.
* Rows chat hygiene still needs: a sensitive message is deleted from its chat by its sent row
  within Telegram's 48 h (models.services.hygiene); the retention is at least `MIN_RETENTION`,
  so those rows, and the deletion rows keyed by their ids, are long past that window first.
* Rows whose dedupe key still stops a repeat. A key matters only while some job could queue the
  same message again. Most keys name a day (the morning message and its edits, a campaign
  reminder, a digest's period) or a one-off event, and their jobs look at that day only; overdue
  escalations keep their own record (OverdueNotice), not the outbox. The exception is the "case
  ending" task: the daily sweep finds a programme ending up to 31 days a notice month ahead and
  checks the outbox key, so its rows stay until that programme end has surely passed
  (`kept_longer`). A purpose whose sweep looks further back must be added there.

Rows go in batches of `BATCH`, each its own short statement, at most `MAX_BATCHES` a run; a
backlog is taken over the next runs. Only the count is reported (the job audits it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.outbox import OutboxMessage, OutboxStatus
from models.policy import Policy
from models.services.reminders.overdue import CASE_END
from models.services.sql import changed_rows

MIN_RETENTION = timedelta(days=3)  # past hygiene's 48 h window (and any day-keyed job's day)
BATCH = 1000
MAX_BATCHES = 20


def kept_longer(policy: Policy) -> dict[str, timedelta]:
    """Purposes whose dedupe keys protect longer than a day: how long after queueing they must stay."""
    return {CASE_END: timedelta(days=31 * policy.case_ending_notice_months + 2)}


def _prunable(now: datetime, retention: timedelta, policy: Policy) -> ColumnElement[bool]:
    cutoff = now - max(retention, MIN_RETENTION)
    o = OutboxMessage
    old = or_(
        and_(o.status == OutboxStatus.sent, o.sent_at < cutoff),
        # a dead row's last try was due at `available_at`; it gave up then or soon after
        and_(o.status == OutboxStatus.dead, o.available_at < cutoff),
    )
    guarded = [and_(o.purpose == p, o.created_at >= now - keep) for p, keep in kept_longer(policy).items()]
    return and_(old, ~or_(*guarded)) if guarded else old


def prune_outbox(
    session: Session,
    *,
    now: datetime,
    retention: timedelta,
    policy: Policy,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
) -> int:
    """Delete sent and dead rows older than `retention` (see the module), a batch at a time; how many."""
    prunable = _prunable(now, retention, policy)
    total = 0
    for _ in range(max_batches):
        ids = select(OutboxMessage.id).where(prunable).order_by(OutboxMessage.id).limit(batch)
        gone = changed_rows(
            session,
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(ids.scalar_subquery()))
            .execution_options(synchronize_session=False),
        )
        total += gone
        if gone < batch:
            break
    return total

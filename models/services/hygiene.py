"""Chat hygiene: sensitive messages the bot sent on its own are deleted from the chat after a while.

A lost or shared phone should not show last week's relapse alert. Each sent outbox row of a
sensitive purpose, once it is older than the configured hours (and younger than Telegram's 48 h
deletion limit), gets one deletion queued in the outbox: a row of kind "delete" keyed
`hygiene-delete:<row id>`, so a job that runs twice (or in two processes) queues it once. The
sender performs it like any other action, within the same limits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session, aliased

from models.outbox import OutboxMessage, OutboxStatus
from models.outgoing import DeleteMessages
from models.services.outbox.queue import enqueue

# Outbox purposes whose text names a person's relapse, test result, or a family's own words.
SENSITIVE_PURPOSES = (
    "urgent_alert",  # a family member's urgent report to the care team
    "alert",  # a positive drug test or a missed test, to the care team
    "alert_taken",
    "alert_escalated",
    "family_relay",  # a family member's message relayed to the worker
    "family_reply",  # the worker's answer relayed to the family
    "tip",  # an anonymous tip
)
DELETE_PURPOSE = "hygiene_delete"
DELETE_KEY = "hygiene-delete:"
DELETABLE_FOR = timedelta(hours=48)  # Telegram refuses to delete older messages
BATCH = 500  # rows per run; the next run takes the rest


def queue_deletions(session: Session, *, now: datetime, after: timedelta) -> int:
    """Queue the deletion of every sensitive message sent more than `after` ago, once; the count queued."""
    queued = aliased(OutboxMessage)
    key = literal(DELETE_KEY) + cast(OutboxMessage.id, String)
    due = session.execute(
        select(OutboxMessage.id, OutboxMessage.chat_id, OutboxMessage.message_id)
        .where(
            OutboxMessage.status == OutboxStatus.sent,
            OutboxMessage.purpose.in_(SENSITIVE_PURPOSES),
            OutboxMessage.message_id.is_not(None),
            OutboxMessage.sent_at <= now - after,
            OutboxMessage.sent_at > now - DELETABLE_FOR,
            ~exists().where(queued.dedupe_key == key),
        )
        .order_by(OutboxMessage.sent_at)
        .limit(BATCH)
    ).all()
    count = 0
    for row_id, chat_id, message_id in due:
        if message_id is None:  # never: the query keeps sent messages only
            continue
        added = enqueue(
            session,
            message=DeleteMessages(chat_id, (message_id,)),
            purpose=DELETE_PURPOSE,
            dedupe_key=f"{DELETE_KEY}{row_id}",
            now=now,
            urgent=True,  # a deletion makes no sound: quiet hours and open forms need not hold it
        )
        count += added is not None
    return count

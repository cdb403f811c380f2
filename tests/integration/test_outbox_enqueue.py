"""Enqueueing is idempotent per key and commits with the change that caused it."""

from __future__ import annotations

from sqlalchemy import func, select

from models.outbox import OutboxMessage
from models.services.outbox import enqueue, send_payload


def test_the_same_key_is_queued_once(db, now):
    first = db.call(
        enqueue, chat_id=5, purpose="reminder", dedupe_key="k1", payload=send_payload("hi"), now=now
    )
    again = db.call(
        enqueue, chat_id=5, purpose="reminder", dedupe_key="k1", payload=send_payload("hi"), now=now
    )
    assert first is not None and again is None
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_rolled_back_change_queues_nothing(db, now):
    try:
        with db.unit_of_work() as s:
            enqueue(s, chat_id=5, purpose="alert", dedupe_key="k2", payload=send_payload("x"), now=now)
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0

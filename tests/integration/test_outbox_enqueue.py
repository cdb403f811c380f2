"""Enqueueing is idempotent per key and commits with the change that caused it."""

from __future__ import annotations

from sqlalchemy import func, select

from models.outbox import OutboxMessage
from models.outgoing import Send
from models.services.outbox.queue import enqueue, enqueue_many, outbox_row


def test_the_same_key_is_queued_once(db, now):
    first = db.call(enqueue, message=Send(5, "hi"), purpose="reminder", dedupe_key="k1", now=now)
    again = db.call(enqueue, message=Send(5, "hi"), purpose="reminder", dedupe_key="k1", now=now)
    assert first is not None and again is None
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_many_at_once_are_each_queued_once_and_counted(db, now):
    def rows(keys):
        return [
            outbox_row(message=Send(n, f"m{n}"), purpose="reminder", dedupe_key=k, now=now)
            for n, k in enumerate(keys)
        ]

    db.call(enqueue, message=Send(9, "old"), purpose="reminder", dedupe_key="b2", now=now)
    assert db.call(enqueue_many, rows(["b1", "b2", "b3"])) == 2  # b2 was queued before
    assert db.call(enqueue_many, rows(["b1", "b3", "b4"])) == 1
    assert db.call(enqueue_many, []) == 0
    with db.unit_of_work() as s:
        queued = {m.dedupe_key: m.payload["text"] for m in s.scalars(select(OutboxMessage))}
    assert queued == {"b1": "m0", "b2": "old", "b3": "m2", "b4": "m2"}


def test_a_rolled_back_change_queues_nothing(db, now):
    try:
        with db.unit_of_work() as s:
            enqueue(s, message=Send(5, "x"), purpose="alert", dedupe_key="k2", now=now)
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_notify_renders_in_the_recipients_language_once_per_key(db, now):
    from zoneinfo import ZoneInfo

    from handlers.context import JobCtx
    from handlers.render import Renderer
    from models.policy import Policy
    from models.services.identity import set_locale

    db.call(set_locale, 77, "en", now=now)
    with db.unit_of_work() as session:
        job = JobCtx(now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=session, policy=Policy())
        assert job.notify(77, "lang/changed", purpose="notice", dedupe_key="n1", buttons=[[("back", "x:1")]])
        assert job.notify(88, "lang/changed", purpose="notice", dedupe_key="n2") is not None
        assert job.notify(77, "lang/changed", purpose="notice", dedupe_key="n1") is None
    with db.unit_of_work() as s:
        payloads = {row.chat_id: row.payload for row in s.scalars(select(OutboxMessage))}
    assert payloads[77]["text"] == "Language set to English." and payloads[77]["buttons"] == [
        [["« Back", "x:1"]]
    ]
    assert payloads[88]["text"] == "已切换为中文。"

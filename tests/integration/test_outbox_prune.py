"""Issue 15: the outbox is pruned (sent and dead rows past the retention, never a row still to go,
hygiene still needs, or whose key still stops a repeat), and a chat's lookups seek its unsent rows
by index instead of reading its whole history. Both backends; time is passed in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import func, insert, select, text

from bot.config import load_settings
from bot.jobs import JOBS, prune_sent
from handlers.context import JobCtx
from handlers.render import Renderer
from models.audit import AuditEntry
from models.clock import FrozenClock
from models.outbox import OutboxMessage, OutboxStatus
from models.policy import Policy
from models.services.hygiene import SENSITIVE_PURPOSES
from models.services.outbox.claims import _due_query
from models.services.outbox.prune import prune_outbox
from models.services.reminders.overdue import CASE_END

RENDERER = Renderer(ZoneInfo("Asia/Shanghai"))
MONTH = timedelta(days=30)


def _row(key: str, status: OutboxStatus, at: datetime, *, chat: int = 7, purpose: str = "reminder") -> dict:
    """A row queued at `at` and, when sent, sent then (dead: its last try was due then)."""
    return {
        "chat_id": chat,
        "purpose": purpose,
        "payload": {"kind": "send", "text": "x", "buttons": []},
        "dedupe_key": key,
        "urgent": False,
        "status": status,
        "available_at": at,
        "attempts": 1,
        "created_at": at,
        "sent_at": at if status == OutboxStatus.sent else None,
        "message_id": 1 if status == OutboxStatus.sent else None,
    }


def _add(db, rows: list[dict]) -> None:
    with db.unit_of_work() as s:
        s.execute(insert(OutboxMessage), rows)


def _keys(db) -> set[str]:
    with db.unit_of_work() as s:
        return set(s.scalars(select(OutboxMessage.dedupe_key)))


def _prune(db, now: datetime, **kwargs) -> int:
    with db.unit_of_work() as s:
        return prune_outbox(s, now=now, retention=kwargs.pop("retention", MONTH), policy=Policy(), **kwargs)


def test_old_sent_and_dead_rows_go_recent_and_unsent_ones_stay(db, now):
    old, recent = now - timedelta(days=45), now - timedelta(days=10)
    _add(
        db,
        [
            _row("old-sent", OutboxStatus.sent, old),
            _row("old-dead", OutboxStatus.dead, old),
            _row("recent-sent", OutboxStatus.sent, recent),
            _row("recent-dead", OutboxStatus.dead, recent),
            _row("old-pending", OutboxStatus.pending, old),  # waits (a rest day, a blocked chat …)
            _row("old-sending", OutboxStatus.sending, old),
        ],
    )
    assert _prune(db, now) == 2
    assert _keys(db) == {"recent-sent", "recent-dead", "old-pending", "old-sending"}
    assert _prune(db, now) == 0  # a second run finds nothing more
    assert _prune(db, now + timedelta(days=25)) == 2  # the recent ones' turn comes
    assert _keys(db) == {"old-pending", "old-sending"}


def test_rows_hygiene_still_needs_stay_whatever_the_retention(db, now):
    """A sensitive message is deleted from its chat by its sent row within 48 h: a retention
    shorter than that is raised to the floor, so the row (and its deletion's key) stays."""
    sensitive = SENSITIVE_PURPOSES[0]
    _add(
        db,
        [
            _row("alert-30h", OutboxStatus.sent, now - timedelta(hours=30), purpose=sensitive),
            _row("hygiene-delete:1", OutboxStatus.sent, now - timedelta(hours=20), purpose="hygiene_delete"),
            _row("alert-5d", OutboxStatus.sent, now - timedelta(days=5), purpose=sensitive),
        ],
    )
    assert _prune(db, now, retention=timedelta(hours=1)) == 1
    assert _keys(db) == {"alert-30h", "hygiene-delete:1"}


def test_a_case_ending_task_is_kept_until_its_programme_end_has_passed(db, now):
    """Its daily sweep looks a notice month (31 days + 1) ahead and checks the key: pruned sooner,
    the same task would be queued again."""
    _add(
        db,
        [
            _row(f"{CASE_END}:1:2026-03-05:9", OutboxStatus.sent, now - timedelta(days=32), purpose=CASE_END),
            _row(f"{CASE_END}:2:2026-01-20:9", OutboxStatus.sent, now - timedelta(days=60), purpose=CASE_END),
        ],
    )
    assert _prune(db, now, retention=timedelta(days=7)) == 1
    assert _keys(db) == {f"{CASE_END}:1:2026-03-05:9"}


def test_batches_take_more_rows_than_one_batch_and_a_run_stops_at_its_limit(db, now):
    old = now - timedelta(days=40)
    _add(
        db,
        [_row(f"k{i}", OutboxStatus.sent, old) for i in range(25)] + [_row("q", OutboxStatus.pending, old)],
    )
    assert _prune(db, now, batch=4, max_batches=3) == 12  # this run's share
    assert _prune(db, now, batch=4, max_batches=20) == 13  # the rest, over several batches
    assert _prune(db, now, batch=4) == 0
    assert _keys(db) == {"q"}


def test_the_nightly_job_prunes_with_the_configured_retention_and_audits_a_count(db, now):
    _add(db, [_row("a", OutboxStatus.sent, now - timedelta(days=12)), _row("b", OutboxStatus.sent, now)])
    clock = FrozenClock(now)
    with db.unit_of_work() as s:
        gone = prune_sent(
            JobCtx(now=clock.now(), renderer=RENDERER, _session=s, policy=Policy(outbox_retention_days=10))
        )
    assert gone == 1 and _keys(db) == {"b"}
    with db.unit_of_work() as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "prune"))
        assert (entry.record_type, entry.actor_kind, entry.detail) == ("outbox", "system", "rows: 1")
    with db.unit_of_work() as s:  # nothing to prune: no audit entry
        assert prune_sent(JobCtx(now=clock.now(), renderer=RENDERER, _session=s, policy=Policy())) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "prune")) == 1


def test_the_job_runs_only_at_night_local_time_with_a_run_key_per_slot():
    (job,) = [j for j in JOBS if j.name == "prune_outbox"]
    policy = Policy()  # Asia/Shanghai
    night = datetime.fromisoformat("2026-03-04T03:25:00+08:00")
    assert job.when.run_key(night, policy) == "2026-03-04T03:20"  # the 03:20 slot
    assert job.when.run_key(datetime.fromisoformat("2026-03-04T10:00:00+08:00"), policy) is None


def test_the_retention_setting_defaults_to_30_days_and_has_a_floor(monkeypatch):
    assert load_settings().outbox_retention_days == 30
    monkeypatch.setenv("GRIDCARE_OUTBOX_RETENTION_DAYS", "90")
    assert load_settings().outbox_retention_days == 90
    monkeypatch.setenv("GRIDCARE_OUTBOX_RETENTION_DAYS", "1")  # hygiene's rows need two days
    with pytest.raises(ValidationError):
        load_settings()


# -- the plans ------------------------------------------------------------------------------------


def _plan(session, query) -> str:
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        return "\n".join(r[3] for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    return "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))


def test_the_claims_per_chat_lookup_seeks_the_chats_unsent_rows_by_index(db, now):
    """A long history of sent rows: the "older row of this chat still to go?" check must seek the
    chat's pending and sending rows (chat, status, id < this row) and never read the history."""
    old = now - timedelta(days=20)
    history = [_row(f"h{i}", OutboxStatus.sent, old, chat=1 + i % 10) for i in range(20_000)]
    _add(db, [*history, _row("due", OutboxStatus.pending, now - timedelta(minutes=1), chat=1)])
    with db.unit_of_work() as s:
        s.execute(text("ANALYZE"))
        query = _due_query(s, now=now, policy=Policy(), form_hold=timedelta(minutes=10), wall=None, limit=10)
        plan = _plan(s, query)
        if s.get_bind().dialect.name == "sqlite":
            # SQLite keys every index by rowid (here the id) too: the seek is chat, status, then id
            assert re.search(
                r"USING INDEX ix_outbox_chat \(chat_id=\? AND status=\? AND (row)?id<\?\)", plan
            ), plan
            assert not [line for line in plan.splitlines() if line.startswith("SCAN")], plan
        else:
            assert "Seq Scan on outbox" not in plan, plan
            conds = [
                line for line in plan.splitlines() if "Index Cond" in line and "chat_id = o.chat_id" in line
            ]
            assert any("status" in c and "id < o.id" in c for c in conds), plan

"""A bot process killed with SIGKILL loses nothing: the bot runs as a real subprocess and dies mid-work.

The child (tests.support.core_process) says on a pipe when it reached the exact point (between two
updates, or inside an update or a job with its writes flushed but not committed), the parent kills
it there and starts another one on the same database, as a supervisor would restart the bot.

- A visit report half filled survives the kill (the form is in the database); an update killed
  before its commit is redelivered by Telegram (same update id) and counts once; the report
  finishes and exactly one record is saved, whatever the redeliveries and double taps.
- The scheduled jobs killed in the morning list or in the overdue ladder, then run again: every
  due reminder is queued exactly once, the same set a run without the kill queues.
- A sender killed mid-burst is covered already: tests/integration/test_two_processes.py (two
  sender processes, one SIGKILLed, on PostgreSQL) and tests/integration/test_outbox_crash.py.

Crashes survived here: 3 per backend (a form between updates, a form inside an update, a job run
at two points), each proved on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.jobs import FEATURES
from bot.scheduler import Scheduler
from handlers.render import Renderer
from models.clock import FrozenClock
from models.outbox import OutboxMessage
from models.policy import Policy
from models.records import Record, RecordKind
from models.services.conversations import load_dialog
from tests.security.world import build_world

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds for a child to answer: a guard against a hung test, not a timing
_updates = count(7_000_000)


class Child:
    """One bot process: send it a line, read its answer line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, *args: str) -> Child:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.core_process",
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        assert line, f"the child ended (exit {await self.proc.wait()})"
        return json.loads(line)

    async def send(self, update: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(update) + "\n").encode())
        await self.proc.stdin.drain()
        return await self.read()

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert await self.proc.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        if self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            await asyncio.wait_for(self.proc.wait(), TIMEOUT)


def button(answer: dict[str, Any], ending: str) -> str:
    """The data of the first button of the answer whose data ends with `ending`."""
    return next(d for a in answer["actions"] for row in a["buttons"] for d in row if d.endswith(ending))


def texts(answer: dict[str, Any]) -> str:
    return " ".join(a["text"] or "" for a in answer["actions"])


def records(db) -> list[Record]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return list(s.scalars(select(Record)))


async def core_child(db_url: str, now) -> Child:  # type: ignore[no-untyped-def]
    child = await Child.start("core", db_url, now.isoformat())
    assert await child.read() == {"ready": True}
    return child


async def test_a_visit_report_survives_a_kill_between_updates_and_saves_once(db, db_url, keys, now):
    world = build_world(db, keys, now, "T", 610_000)
    worker = world.accounts["grid_worker"]
    first = await core_child(db_url, now)
    try:
        note = await first.send(
            {"user": worker, "data": f"r:routine:{world.person}", "update_id": next(_updates)}
        )
        photo = await first.send({"user": worker, "data": button(note, ":s"), "update_id": next(_updates)})
    finally:
        await first.kill()  # half-way: the photo step is open, its keyboard in the worker's chat
    draft = db.call(load_dialog, worker)
    assert draft is not None and draft.dialog == "visit" and draft.data.get("kind") == "routine"
    assert records(db) == []
    second = await core_child(db_url, now)
    try:
        summary = await second.send(
            {"user": worker, "data": button(photo, ":s"), "update_id": next(_updates)}
        )
        save = {"user": worker, "data": button(summary, ":ok"), "message_id": 5}
        assert "已保存" in texts(await second.send({**save, "update_id": next(_updates)}))
        assert "已保存" not in texts(await second.send({**save, "update_id": next(_updates)}))  # a double tap
    finally:
        await second.stop()
    [record] = records(db)
    assert (record.person_id, record.kind) == (world.person, RecordKind.visit)


async def test_a_kill_inside_an_update_loses_it_and_its_redelivery_counts_once(db, db_url, keys, now):
    world = build_world(db, keys, now, "T", 610_000)
    worker = world.accounts["grid_worker"]
    first = await core_child(db_url, now)
    try:
        answer = await first.send(
            {"user": worker, "data": f"r:routine:{world.person}", "update_id": next(_updates)}
        )
        answer = await first.send({"user": worker, "data": button(answer, ":s"), "update_id": next(_updates)})
        photo_skip = button(answer, ":s")
        answer = await first.send({"user": worker, "data": photo_skip, "update_id": next(_updates)})
        save = {"user": worker, "data": button(answer, ":ok"), "update_id": next(_updates), "message_id": 5}
        assert await first.send({**save, "hang": True}) == {"hanging": True}  # saved, not committed
    finally:
        await first.kill()
    assert records(db) == []  # the kill rolled the save back …
    draft = db.call(load_dialog, worker)
    assert draft is not None and draft.step == "_confirm"  # … and the form waits at its summary
    second = await core_child(db_url, now)
    try:
        saved = await second.send(save)  # Telegram redelivers the update it never had confirmed
        assert "已保存" in texts(saved)
        assert (await second.send(save))["actions"] == []  # a second redelivery does nothing
        tapped_again = await second.send({**save, "update_id": next(_updates)})  # a double tap
        assert "已保存" not in texts(tapped_again)
    finally:
        await second.stop()
    [record] = records(db)
    assert (record.person_id, record.kind) == (world.person, RecordKind.visit)
    assert db.call(load_dialog, worker) is None


def _reference(db, now) -> Counter:  # type: ignore[no-untyped-def]
    """What one tick of the feature jobs queues at `now`, run and rolled back: the expected set."""
    policy = Policy(tz=ZoneInfo("Asia/Shanghai"))
    scheduler = Scheduler(
        db, clock=FrozenClock(now), policy=policy, renderer=Renderer(policy.tz), jobs=FEATURES
    )
    session = db.sessions()
    try:
        for job in FEATURES:
            key = job.when.run_key(now, policy)
            if key is not None:
                scheduler._run_once(session, job, key, now)
                while job.batch is not None and scheduler._run_batch(session, job, now):
                    pass  # a shared job's batches, here in the one session
        return Counter((m.purpose, m.chat_id, m.dedupe_key) for m in session.scalars(select(OutboxMessage)))
    finally:
        session.rollback()
        session.close()
        scheduler.leadership.release()


def _queued(db) -> Counter:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return Counter((m.purpose, m.chat_id, m.dedupe_key) for m in s.scalars(select(OutboxMessage)))


@pytest.mark.parametrize("killed_in", ["morning", "escalate"])
async def test_jobs_killed_mid_run_queue_every_due_reminder_exactly_once_when_run_again(
    db, db_url, keys, now, killed_in
):
    build_world(db, keys, now, "T", 610_000)
    build_world(db, keys, now, "U", 620_000)
    expected = _reference(db, now)
    assert {purpose for purpose, _, _ in expected} >= {"morning", "overdue"}, "the day has work to remind"
    assert max(expected.values()) == 1
    victim = await Child.start("jobs", db_url, now.isoformat(), killed_in)
    try:
        assert await victim.read() == {"hanging": killed_in}
    finally:
        await victim.kill()
    # The killed job's queueing rolled back; what the jobs before it committed stays.
    committed = sum(_queued(db).values())
    if killed_in == "morning":
        assert committed == 0
    else:
        assert 0 < committed < sum(expected.values())
    again = await Child.start("jobs", db_url, now.isoformat())
    ran = dict((await again.read())["done"])
    await again.stop()
    assert killed_in in ran and (killed_in == "morning" or "morning" not in ran)
    assert _queued(db) == expected, "every due reminder once, none lost, none twice"
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == len(expected)
    third = await Child.start("jobs", db_url, now.isoformat())
    assert (await third.read())["done"] == []  # every key is taken: a third run does nothing
    await third.stop()
    assert _queued(db) == expected

"""One morning shared by several processes (issue 15): each claims batches of workers whose list
is due (`FOR UPDATE SKIP LOCKED`), queues their lists and marks them in one unit of work.

Two real processes run the scheduler's `drain` of the morning job over one PostgreSQL database at
the same moment, in batches of three workers: every worker is dealt with once, by one of them, and
every list is queued once. A batch claimed by a process that dies is free again for the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.db import Database
from bot.demo import generate_demo_city
from models.crypto import KeyRing
from models.outbox import MorningMark, OutboxMessage
from models.people import Worker
from models.policy import Policy
from models.services.reminders.morning import morning_due
from tests.factories import TEST_KEYS

pytestmark = pytest.mark.postgres  # SKIP LOCKED: SQLite is one process's database
ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai: every reminder time reached
AT_DAY = date(2026, 3, 5)  # its local day

DRAIN = """
import asyncio, json, sys, time
from datetime import datetime
from pathlib import Path
from bot.db import Database
from bot.jobs import JOBS
from bot.scheduler import Scheduler
from models.services.reminders import sending as jobs
from handlers.render import Renderer
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.policy import Policy
from tests.factories import TEST_KEYS

url, at, start, out = sys.argv[1], datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
jobs.BATCH_WORKERS = 3  # small batches, so that both processes get some
mine, claim = [], jobs.morning_due
def claimed(session, **kwargs):
    due = claim(session, **kwargs)
    mine.extend(r.worker_id for r in due)
    time.sleep(0.05)  # a batch takes a while, as a city's does: the other process claims meanwhile
    return due
jobs.morning_due = claimed
policy = Policy()
job = next(j for j in JOBS if j.name == "morning")
db = Database(url)
scheduler = Scheduler(db, clock=FrozenClock(at), policy=policy, renderer=Renderer(policy.tz),
                      keys=KeyRing.parse(TEST_KEYS), jobs=[job])
print("ready", flush=True)
while not start.exists():
    time.sleep(0.01)
asyncio.run(scheduler.drain(job))
out.write_text(json.dumps(mine))
db.dispose()
"""


def city(db: Database) -> int:
    """A small demo city whose staff all have Telegram accounts; the number of staff."""
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=400, seed=3, keys=KeyRing.parse(TEST_KEYS), now=AT)
        s.execute(update(Worker).values(telegram_user_id=900_000 + Worker.id))
    with db.unit_of_work() as s:
        return len(morning_due(s, now=AT, policy=Policy()))


def test_two_processes_share_one_morning_each_worker_once(pg: Database, tmp_path: Path) -> None:
    due = city(pg)
    assert due >= 10
    start = tmp_path / "start"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", DRAIN, pg.url, AT.isoformat(), str(start), str(tmp_path / f"out{n}")],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    start.touch()
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    first, second = (json.loads((tmp_path / f"out{n}").read_text()) for n in range(2))
    assert first and second, "both processes took part"
    assert not set(first) & set(second), "no worker was dealt with twice"
    with pg.unit_of_work() as s:
        marked = s.scalars(select(MorningMark.worker_id).where(MorningMark.day == AT_DAY)).all()
        lists = s.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.purpose == "morning")).all()
        owners = {int(key.split(":")[1]) for key in lists}
    assert sorted(first + second) == sorted(marked) and len(marked) == due
    assert len(lists) == len(set(lists)) and owners <= set(first + second)


def test_a_claimed_batch_is_skipped_and_free_again_when_its_process_dies(pg: Database) -> None:
    due = city(pg)
    policy = Policy()
    dying, other = pg.sessions(), pg.sessions()
    try:
        claimed = [r.worker_id for r in morning_due(dying, now=AT, policy=policy, claim=4)]
        others = [r.worker_id for r in morning_due(other, now=AT, policy=policy, claim=due)]
        assert len(claimed) == 4 and len(others) == due - 4 and not set(claimed) & set(others)
        other.rollback()
        dying.rollback()  # the process died before its commit: its claim is gone with it
        again = [r.worker_id for r in morning_due(other, now=AT, policy=policy, claim=due)]
        assert sorted(again) == sorted(claimed + others)
    finally:
        dying.close()
        other.close()


def test_a_worker_dealt_with_today_is_not_claimed_again(pg: Database) -> None:
    city(pg)
    policy = Policy()
    with pg.unit_of_work() as s:
        first = morning_due(s, now=AT, policy=policy, claim=5)  # marked by the claim
    with pg.unit_of_work() as s:
        rest = morning_due(s, now=AT, policy=policy, claim=1000)
        total = s.scalar(select(func.count()).select_from(Worker).where(Worker.telegram_user_id.is_not(None)))
    assert not {r.worker_id for r in first} & {r.worker_id for r in rest}
    assert len(first) + len(rest) <= (total or 0)

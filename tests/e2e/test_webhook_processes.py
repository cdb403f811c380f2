"""Two real `gridcare run --webhook` processes behind one address on one PostgreSQL (issue 9).

The deployment of the README, end to end: the local Bot API server pushes every update to a
round-robin proxy (standing in for nginx), which hands each to the next of two `gridcare run
--webhook` subprocesses. Starting processes takes seconds, so one scenario runs for the module
and each test checks one promise on what it left behind:

* workers link their accounts, type bursts of numbered searches without waiting and fill in note
  forms, their updates alternating between the processes: every chat's answers come back
  complete and in order, and each confirmed note is saved once;
* the scheduler checks its lead five times a second in both processes: one leads, each job runs
  once per run key, and an urgent alert left unanswered is escalated to the supervisor once;
* messages queued in the database (before the start and while the processes run) are sent once
  each, whichever process sends them;
* SIGTERM stops both cleanly.

The processes run on the real clock, in a fixed-offset time zone where it is early afternoon
(tests.support.webhook_cluster.daytime_zone), so quiet hours hold nothing back at any hour.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, text

from bot.db import Database
from bot.jobs import JOBS
from models.all import metadata
from models.audit import Actor
from models.chat import ProcessedUpdate
from models.crypto import KeyRing
from models.family import UrgentAlert
from models.outbox import JobRun
from models.people import CaseRole, FamilyMember, Worker
from models.records import Record
from models.services.directory.entries import assign
from models.services.directory.invites import invite_worker
from tests.e2e.harness import TOKEN, local_api
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker
from tests.integration.family_city import SUPERVISOR, build_city
from tests.support.outbox import Row, queue, rows
from tests.support.webhook_cluster import BotProcess, RoundRobinProxy, WebhookUser, daytime_zone

pytestmark = pytest.mark.postgres  # several processes share one database: SQLite serves one

SECRET = "webhook-test-secret"
WORKERS = 4
BURST = 5  # numbered searches each worker types without waiting for the answers
NOTES = 2  # note forms each worker fills in
FIRST_CHAT = 7300001
QUEUED_CHATS = range(9100001, 9100021)
_SEARCH_ECHO = re.compile(r"搜索「(\d+)-(\d+)」")


@dataclass(frozen=True)
class Outcome:
    """What the scenario left: transcripts, the proxy's routing, the processes' logs, the database."""

    transcripts: dict[int, list[str]]  # worker chat -> the bot's messages, oldest first
    updates: dict[int, list[int]]  # worker chat -> its update ids, in the order they were made
    routes: dict[int, int]  # update id -> index of the process that answered it
    statuses: Counter[int]
    notes: list[str]
    processed_updates: int
    queued: list[str]
    outbox: dict[str, Row]
    copies: Counter[str]  # texts of the bot's messages in the queued chats
    supervisor: list[str]
    leaders: list[str]
    jobs_done: list[tuple[str, str]]  # from both logs
    job_runs: set[tuple[str, str]]
    exit_codes: list[int]


def note_text(worker: int, n: int) -> str:
    return f"第{worker}位网格员的第{n}条随访记录"


@pytest.fixture(scope="module")
def outcome(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return asyncio.run(_scenario(postgres_url, tmp_path_factory.mktemp("webhook_processes")))


def test_every_chat_gets_all_its_answers_in_order_while_both_processes_take_its_updates(outcome):
    for w in range(WORKERS):
        chat = FIRST_CHAT + w
        said = outcome.transcripts[chat]
        assert "绑定成功" in said[0]
        echoed = [tuple(map(int, m.groups())) for t in said if (m := _SEARCH_ECHO.search(t))]
        assert echoed == [(w, n) for n in range(1, BURST + 1)], "each search answered once, in order"
        assert sum("已保存" in t for t in said) == NOTES
        assert {outcome.routes[u] for u in outcome.updates[chat]} == {0, 1}, "the chat hopped processes"
    total = sum(len(u) for u in outcome.updates.values())
    assert outcome.statuses == {200: total}, "every update answered 200 at the first try"
    assert Counter(outcome.routes.values()) == {0: (total + 1) // 2, 1: total // 2}, "round robin"


def test_each_confirmed_note_is_saved_once_and_each_update_processed_once(outcome):
    expected = [note_text(w, n) for w in range(WORKERS) for n in range(1, NOTES + 1)]
    assert Counter(outcome.notes) == Counter(expected)
    assert outcome.processed_updates == sum(len(u) for u in outcome.updates.values())


def test_one_process_leads_the_scheduler_and_each_job_runs_once_per_key(outcome):
    assert len(outcome.leaders) == 1, outcome.leaders
    done = Counter(outcome.jobs_done)
    assert [run for run, n in done.items() if n > 1] == [], "no run key twice"
    assert set(done) == outcome.job_runs, "the logs and job_runs agree"
    assert {"prune_updates", "escalate_alerts"} <= {job for job, _ in outcome.job_runs}
    escalated = [t for t in outcome.supervisor if "无人接手" in t]
    assert len(escalated) == 1, "the unanswered alert reached the supervisor once"


def test_messages_queued_in_the_database_are_delivered_once_each(outcome):
    assert outcome.copies == Counter(outcome.queued), "each once, none lost"
    assert {r.status for r in outcome.outbox.values() if r.dedupe_key in outcome.queued} == {"sent"}


def test_both_processes_stop_cleanly_on_sigterm(outcome):
    assert outcome.exit_codes == [0, 0]


# -- the scenario --------------------------------------------------------------------------------


async def _scenario(url: str, workdir: Path) -> Outcome:
    db = Database(url)
    try:
        _empty(db)
        started = datetime.now(UTC)
        codes = _arrange(db, started)
        queued = queue(db, QUEUED_CHATS, now=started, per_chat=2, purpose="broadcast", prefix="pre")
        async with local_api() as api, aiohttp.ClientSession() as http:
            for chat in (*QUEUED_CHATS, SUPERVISOR):
                api.add_user(chat, "测试")
            proxy = RoundRobinProxy([])
            env = _settings(url, api.base_url, daytime_zone(started))
            processes: list[BotProcess] = []
            try:
                webhook = f"{await proxy.start()}/telegram"
                processes = [BotProcess.start(name, webhook, env, workdir) for name in ("one", "two")]
                proxy.backends.extend(p.url for p in processes)
                for process in processes:
                    await process.wait_ready(http)
                await api.wait_until(lambda: api.bot().webhook is not None, 10, "the webhook set")
                users = [WebhookUser(api, FIRST_CHAT + w) for w in range(WORKERS)]
                workload = asyncio.gather(*(_work(u, w, codes[w]) for w, u in enumerate(users)))
                queued += queue(db, QUEUED_CHATS, now=datetime.now(UTC), purpose="broadcast", prefix="live")
                await workload
                await _until(lambda: _all_sent(db, queued), "the queued messages sent")
                await api.wait_for_messages(SUPERVISOR, 1, timeout=20)
                leaders = [p.name for p in processes if p.led()]
            finally:
                exit_codes = [p.stop() for p in processes]
                await proxy.stop()
            copies = Counter(m.text or "" for chat in QUEUED_CHATS for m in api.transcript(chat))
            return Outcome(
                transcripts={u.user_id: u.texts() for u in users},
                updates={u.user_id: u.sent for u in users},
                routes=dict(proxy.routes),
                statuses=Counter(proxy.statuses),
                notes=_notes(db),
                processed_updates=_count(db, ProcessedUpdate),
                queued=queued,
                outbox=rows(db),
                copies=copies,
                supervisor=[m.text or "" for m in api.transcript(SUPERVISOR)],
                leaders=leaders,
                jobs_done=[run for p in processes for run in p.jobs_done()],
                job_runs=_job_runs(db),
                exit_codes=exit_codes,
            )
    finally:
        db.dispose()


async def _work(user: WebhookUser, w: int, code: str) -> None:
    """Link, a burst of numbered searches, then the note forms step by step.

    The burst is typed without waiting, so its updates queue back to back and alternate between
    the processes: each chat's updates are handled by both.
    """
    await user.say(f"/start {code}")
    for n in range(1, BURST + 1):
        last = user.send(f"{w}-{n}")
    await user.delivered(last)
    for n in range(1, NOTES + 1):
        await user.say("/note")
        await user.press(f"P-N{w}", on="请选择对象")
        await user.say(note_text(w, n))
        await user.press("确认", on="请确认")


def _settings(url: str, api_url: str, zone: str) -> dict[str, str]:
    """The environment of both processes: the same database, bot, secret and keys."""
    return {
        "GRIDCARE_DATABASE_URL": url,
        "GRIDCARE_BOT_TOKEN": TOKEN,
        "GRIDCARE_API_URL": api_url,
        "GRIDCARE_WEBHOOK_SECRET": SECRET,
        "GRIDCARE_SECRET_KEY": TEST_KEYS,
        "GRIDCARE_FLOOD_PER_MINUTE": "0",
        "GRIDCARE_TIMEZONE": zone,
        "GRIDCARE_SCHEDULER_TICK_SECONDS": "0.2",
    }


def _arrange(db: Database, now: datetime) -> list[str]:
    """The family channel's city plus one worker and person per chat; an alert nobody took two hours
    ago, whose supervisor has linked Telegram. Returns each worker's invite code."""
    keys = KeyRing.parse(TEST_KEYS)
    city = build_city(db, keys, now)
    with db.unit_of_work() as s:
        grid = make_tree(s)["G1"]
        for w in range(WORKERS):
            worker = make_worker(s, grid, code=f"W-N{w}")
            person = make_person(s, grid, keys=keys, now=now, code=f"P-N{w}")
            assign(s, person, worker, CaseRole.responsible)
        s.scalars(select(Worker).where(Worker.code == "W-SUP")).one().telegram_user_id = SUPERVISOR
        mother = FamilyMember(person_id=city.person_id, relation="母亲", verified=True)
        s.add(mother)
        s.flush()
        s.add(
            UrgentAlert(
                person_id=city.person_id, family_member_id=mother.id, created_at=now - timedelta(hours=2)
            )
        )
    return [db.call(invite_worker, f"W-N{w}", actor=Actor.cli(), now=now).code for w in range(WORKERS)]


def _empty(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


async def _until(predicate, what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Re-check a database condition every 50 ms (each check is a query) until it holds."""
    try:
        async with asyncio.timeout(timeout):
            while not await asyncio.to_thread(predicate):
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout} s") from None


def _all_sent(db: Database, keys: list[str]) -> bool:
    found = rows(db)
    return all(key in found and found[key].status == "sent" for key in keys)


def _notes(db: Database) -> list[str]:
    with db.unit_of_work() as s:
        return [n or "" for n in s.scalars(select(Record.notes))]


def _count(db: Database, table: type) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def _job_runs(db: Database) -> set[tuple[str, str]]:
    names = [job.name for job in JOBS]
    with db.unit_of_work() as s:
        return {(r.job, r.run_key) for r in s.scalars(select(JobRun).where(JobRun.job.in_(names)))}

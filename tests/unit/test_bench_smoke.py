"""The benchmark code runs at a toy size (it never asserts a timing: figures live in BENCHMARKS.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bench import digest, memory, outbox, sweep
from bench.chat import measure_chat
from bench.common import BENCH_KEYS, NOW, peak_rss_mb, rss_mb, scratch_sqlite
from bench.uow import measure_uow
from bot.db import Database
from bot.demo import generate_demo_city
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.policy import Policy
from models.services.obligations.due import obligation_rows


@pytest.fixture
def toy_city() -> Iterator[str]:
    with scratch_sqlite() as url:
        db = Database(url)
        db.call(generate_demo_city, persons=300, seed=1, keys=KeyRing.parse(BENCH_KEYS), now=NOW)
        db.dispose()
        yield url


async def test_unit_of_work_variants_each_complete_transactions():
    with scratch_sqlite() as url:
        results, _skipped = await measure_uow(url, None, seconds=0.02, repeats=1)
    assert {r.name for r in results if r.reference} == {"our choice: Database.run, 1 db thread"}
    assert all(r.median_tps > 0 for r in results)


# aiogram's first import alone costs seconds of CPU here (pydantic builds its ~300 models); a full test
# run pays it once, for the end-to-end tests too.
@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_chat_bench_drives_the_real_dispatcher_through_the_note_dialog(toy_city, framework):
    (result,) = await measure_chat(
        {"sqlite": toy_city},
        users=2,
        per_user=8,
        repeats=1,
        storage_seconds=0.02,
        paced_seconds=0.05,
        frameworks=(framework,),
    )
    assert result.framework == framework
    assert result.updates == 2 * 8
    assert result.rate > 0 and result.floor_rate > 0 and result.storage_rate > 0
    assert result.failures == 0
    assert result.records_filed == result.saves_expected > 0


async def test_chat_bench_visit_mix_files_one_visit_per_save_from_the_card(toy_city):
    (result,) = await measure_chat(
        {"sqlite": toy_city},
        users=2,
        per_user=14,
        repeats=1,
        storage_seconds=0.02,
        paced_seconds=0.05,
        frameworks=("ptb",),
        mix="visit",
    )
    assert result.mix == "visit"
    assert result.updates == 2 * 14
    assert result.failures == 0
    assert result.records_filed == result.saves_expected > 0


def test_memory_readings_cover_generation_and_obligations():
    with scratch_sqlite() as url:
        generated = memory.generate(url, 60, None, None)
        assert generated["persons"] == 60
        assert memory.obligations(url)["rows"] > 0
    assert 0 < rss_mb() <= peak_rss_mb()


@pytest.fixture
def toy_db(db_url) -> Iterator[Database]:
    """A toy demo city on each test backend (the sweep and digest benchmarks run on both)."""
    db = Database(db_url)
    db.call(generate_demo_city, persons=300, seed=1, keys=KeyRing.parse(BENCH_KEYS), now=NOW)
    yield db
    db.dispose()


def _outbox_count(db: Database, purpose: str) -> int:
    with db.unit_of_work() as s:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == purpose)
        return s.scalar(query) or 0


async def test_sweep_bench_queues_each_morning_once_and_a_repeat_queues_nothing(toy_db, db_url):
    result = await sweep.run(db_url, repeats=2, backend="any")
    policy = Policy()
    everyone = toy_db.call(obligation_rows, today=policy.local_date(NOW), policy=policy)
    assert result.persons == 300 and result.staff_linked > 0
    assert result.rows == len(everyone) > 0
    assert len(result.morning_queued) == 2 and result.morning_queued[0] > 0
    assert result.sweep_morning > 0 and result.sweep_overdue > 0
    queued = result.sweep_morning + sum(result.morning_queued)
    assert _outbox_count(toy_db, "morning") == queued, "a morning list per worker and day, nothing more"
    assert result.morning_again == 0 and result.sweep_again == 0
    assert result.peak_mb >= result.rss_before_mb > 0
    (row,) = [sweep.as_row(result)]
    assert len(row) == len(sweep.HEADERS)


async def test_digest_bench_sends_every_linked_supervisor_one_digest_a_day(toy_db, db_url):
    result = await digest.run(db_url, repeats=1, backend="any")
    assert result.persons == 300 and result.area == "DEMO"
    assert result.recipients > 0 and result.queued == [result.recipients]
    assert result.again == 0
    assert _outbox_count(toy_db, "digest") >= 2 * result.recipients, "a chart and a text each"
    assert result.chart_bytes > 0 and result.overdue_people > 0
    assert len(digest.as_row(result)) == len(digest.HEADERS)


async def test_outbox_bench_delivers_each_message_once_through_the_local_bot_api():
    with scratch_sqlite() as url:
        result = await outbox.one_sender(url, "ptb", messages=12, chats=6, repeats=1)
    (burst,) = result.bursts
    assert (burst.messages, burst.lost, burst.duplicates, burst.dead) == (12, 0, 0, 0)
    assert burst.shares == {"ptb": 12}
    assert burst.count_429 == 0, "the sender keeps the server's flood limits"
    assert len(outbox.as_row(result)) == len(outbox.HEADERS)


async def test_outbox_bench_two_sender_processes_share_the_queue_without_repeats():
    # Once, on SQLite: the bench code is the same on both; PostgreSQL sharing is test_two_processes.py's.
    with scratch_sqlite() as url:
        result = await outbox.two_processes(url, messages=12, chats=6, repeats=2, frameworks=("ptb", "ptb"))
    assert [b.messages for b in result.bursts] == [12, 12]
    assert all((b.lost, b.duplicates, b.dead) == (0, 0, 0) for b in result.bursts)
    assert all(sum(b.shares.values()) == 12 and set(b.shares) <= {"ptb1", "ptb2"} for b in result.bursts)


async def test_step_costs_cover_every_step_of_the_cycle():
    from bench.steps import step_costs

    costs = await step_costs(rounds=2)
    assert list(costs) == ["/my", "/note", "choose person", "type the note", "save", "/whoami", "/lang"]
    assert all(ms > 0 for ms in costs.values())


def test_outbox_lookup_bench_runs_before_and_after_at_a_toy_size(monkeypatch):
    monkeypatch.setattr(outbox, "HISTORY", 300)
    monkeypatch.setattr(outbox, "LOOKUP_REPEATS", 1)
    report = outbox.lookup_bench(None)  # SQLite only; asserts each run picks one row per chat
    assert "claim" in report and "pruning 300 rows" in report


def test_digest_city_bench_times_the_root_digest(toy_city, capsys):
    from bench import digest_city

    digest_city.main([toy_city, "--repeats", "2"])
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["seconds"]) == 2 and printed["people_overdue"] > 0


def test_chat_processes_bench_shares_the_users_between_processes(toy_db, db_url):
    from bench.chat_processes import run

    result = run(db_url, 2, 4, 7, "aiogram", "visit")
    assert result["updates"] == 4 * 7 and len(result["each"]) == 2
    assert result["failures"] == 0

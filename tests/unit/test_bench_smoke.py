"""The benchmark code runs at a toy size (it never asserts a timing: figures live in BENCHMARKS.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import memory
from bench.chat import measure_chat
from bench.common import BENCH_KEYS, NOW, peak_rss_mb, rss_mb, scratch_sqlite
from bench.uow import measure_uow
from bot.db import Database
from models.crypto import KeyRing
from models.services.demo import generate_demo_city


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
    assert result.notes_filed == result.notes_expected > 0


def test_memory_readings_cover_generation_and_obligations():
    with scratch_sqlite() as url:
        generated = memory.generate(url, 60, None, None)
        assert generated["persons"] == 60
        assert memory.obligations(url)["rows"] > 0
    assert 0 < rss_mb() <= peak_rss_mb()

"""Per-worker performance for a period (the basis of the worker subsidy evaluation), on the known city."""

from __future__ import annotations

import pytest

from models.clock import FrozenClock
from models.records import Record, RecordKind
from models.services.digest.summary import Period, PeriodKind
from models.services.performance.table import WorkerPerformance, period_ends, worker_performance
from tests.integration.digest_city import DAY, NOW, TEST_POLICY, at, build_city
from tests.support.chat import CoreChat, build_core


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


def _figures(db, city, area: str = "CITY") -> dict[str, WorkerPerformance]:
    period = Period.of(PeriodKind.month, DAY)
    found = db.call(worker_performance, city.areas[area].path, period, policy=TEST_POLICY, now=NOW)
    return {w.code: w for w in found}


def test_periods_end_on_sundays_and_on_the_last_day_of_a_month():
    from datetime import date

    ends = list(period_ends(date(2026, 2, 23), date(2026, 3, 8)))
    assert ends == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 8)]


def test_every_staff_member_of_the_subtree_is_listed_and_supervisors_are_not(db, city):
    assert sorted(_figures(db, city)) == ["WA", "WB", "WC"]
    assert sorted(_figures(db, city, "COM")) == ["WA", "WB"]


def test_records_filed_and_filed_late_count_the_workers_own_reports_of_the_month(db, city):
    f = _figures(db, city)
    assert (f["WA"].records, f["WA"].late_records) == (5, 0)  # TP01's voided note does not count
    assert (f["WB"].records, f["WB"].late_records) == (5, 1)
    assert (f["WC"].records, f["WC"].late_records) == (1, 0)


def test_obligations_that_ended_in_the_month_are_met_on_time_or_missed(db, city):
    # Only the week of 23 February – 1 March ended in March so far: TP04 met it (visit on 26
    # February), TP02 (orange, one of two visits) and TP03 (none) missed it; TP05 has no worker.
    f = _figures(db, city)
    assert (f["WA"].met_on_time, f["WA"].met_late, f["WA"].missed) == (0, 0, 1)
    assert (f["WB"].met_on_time, f["WB"].met_late, f["WB"].missed) == (1, 0, 1)
    assert f["WB"].on_time_rate == 50 and f["WA"].on_time_rate == 0 and f["WC"].on_time_rate is None


def test_a_meeting_recorded_after_the_deadline_counts_as_met_late(db, city):
    with db.unit_of_work() as s:
        s.add(
            Record(
                person_id=city.persons["TP03"].id,
                kind=RecordKind.visit,
                subkind="home",
                occurred_at=at(2, 28),
                created_at=at(3, 3, 9),  # the deadline was Monday 2 March
                updated_at=at(3, 3, 9),
                author_id=city.workers["WB"].id,
                details={},
                late=True,
                voided=False,
            )
        )
    f = _figures(db, city)["WB"]
    assert (f.met_on_time, f.met_late, f.missed) == (1, 1, 0)


def test_reviews_family_messages_and_alerts_are_credited_to_their_worker(db, city):
    f = _figures(db, city)
    assert (f["WA"].reviewed_correct, f["WA"].reviewed_errors) == (2, 1)  # TP01's visit; TP02's visit twice
    # WA's family messages this month: TP01's (waiting 56 h), TP02's (22 h), TP03's (answered in 24 h)
    assert (f["WA"].messages, f["WA"].messages_slow, f["WA"].message_median_minutes) == (3, 1, 1440)
    assert (f["WC"].messages, f["WC"].messages_slow, f["WC"].message_median_minutes) == (1, 1, None)
    assert (f["WA"].alerts, f["WA"].alert_median_minutes) == (3, 10)  # 5, 10 and 30 minutes
    assert (f["WB"].messages, f["WB"].alerts, f["WB"].reviewed_errors) == (0, 0, 0)


async def test_workers_command_lists_the_figures_weakest_first(db, city):
    from models.audit import Actor
    from models.services.directory.invites import invite_worker

    invite = db.call(invite_worker, "S-CITY", actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), 7005)
    await chat.say(f"/start {invite.code}")
    await chat.say("/workers 2026-03")  # on 4 March: the month in progress, shown apart from February
    (text,) = chat.texts()
    assert "网格员考核 · 测试市" in text and "共 3 人" in text
    march = text.split("本月至今")[1:]
    assert len(march) == 3 and "（上月，已结束）" in text
    figures = _figures(db, city)
    assert f"记录 {figures['WA'].records} · 按时完成 {figures['WA'].met_on_time}" in text  # WA's March so far
    await chat.say("/workers 2026-12")
    assert "用法" in chat.texts()[0]


def test_each_worker_has_a_pay_score_from_the_localitys_weights(db, city):
    from dataclasses import replace

    from models.pay import PayWeights, pay_score

    weights = PayWeights(on_time=100, records=0, timely=0, reviews=0, messages=0)
    period = Period.of(PeriodKind.month, DAY)
    found = db.call(
        worker_performance, city.areas["CITY"].path, period, policy=replace(TEST_POLICY, pay=weights), now=NOW
    )
    for w in found:
        assert w.score == pay_score(w, weights)
        assert w.score == (
            0
            if not w.on_time_rate
            else round(100 * w.met_on_time / (w.met_on_time + w.met_late + w.missed), 1)
        )
    assert {w.code: w.score for w in found}["WA"] == 0  # 0% on time


async def test_workers_shows_the_pay_score_and_the_export_carries_it(db, city):
    import io

    import openpyxl

    from handlers.events import SendDocument
    from models.audit import Actor
    from models.services.directory.invites import invite_worker

    invite = db.call(invite_worker, "S-CITY", actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), 7006)
    await chat.say(f"/start {invite.code}")
    await chat.say("/workers 2026-02")  # a finished month: no progress section
    (text,) = chat.texts()
    assert "考核得分" in text and "满分 100" in text and "本月至今" not in text
    await chat.say("/export month")
    (document,) = [a for a in chat.last if isinstance(a, SendDocument)]
    rows = list(openpyxl.load_workbook(io.BytesIO(document.data))["网格员考核"].iter_rows(values_only=True))
    assert rows[0][-1] == "考核得分" and all(isinstance(r[-1], int | float) for r in rows[1:])

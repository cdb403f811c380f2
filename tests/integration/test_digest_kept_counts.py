"""The digest's obligation figures counted by the database equal the same figures counted in Python
from the obligation rows, on a generated city, for today, later days and a past day (worked out in
memory), for the whole city and for a part of it; and the people named are the reference's first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.demo import generate_demo_city
from models.areas import Area
from models.policy import Policy
from models.schedule import State
from models.services.digest.items import KeptCounts, count_items, count_rows, overdue_in
from models.services.digest.rows import overdue_people
from models.services.obligations.due import obligation_rows

POLICY = Policy()


@pytest.fixture
def city(db: Database, keys, now) -> Database:
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=400, seed=7, keys=keys, now=now)
    return db


def _plain(counts: KeptCounts) -> dict[int, tuple[dict[object, list[int]], int, int]]:
    """Per area: the items' six figures summed by obligation, people overdue, escalated; empty areas out."""
    plain = {}
    for area, c in counts.areas.items():
        summed: dict[object, list[int]] = {}
        for obligation, *figures in c.items:
            total = summed.setdefault(obligation, [0] * 6)
            total[:] = [a + b for a, b in zip(total, figures, strict=True)]
        if summed or c.people_overdue:
            plain[area] = (summed, c.people_overdue, c.escalated)
    return plain


def _check(s, path: str, day: date) -> KeptCounts:
    rows = obligation_rows(s, today=day, policy=POLICY, area_path=path)
    # The charts' horizons: a day's and a week's digest look to the Sunday, a month's to its end.
    sunday = day + timedelta(days=6 - day.weekday())
    month_end = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    for horizon in (sunday, month_end):
        kept = count_items(s, path, day, POLICY, horizon=horizon)
        expected = count_rows(rows, POLICY.escalate_to_digest_after_days, horizon=horizon)
        assert _plain(kept) == _plain(expected)
    # the chart leaves out some items that the sums have (periods ending after the Sunday)
    short = count_items(s, path, day, POLICY, horizon=sunday).tallies()
    assert short.chart.total < sum(t.total for t in short.by_obligation.values())
    reference = overdue_people(s, rows)
    assert kept.people_overdue == len(reference) > 0
    for at_least, limit in ((1, None), (7, 5), (1, 3), (30, None)):
        expected_people = [p for p in reference if p.days_overdue >= at_least][:limit]
        assert (
            overdue_in(s, path, day, POLICY, at_least_days=at_least, limit=limit, past=kept.past)
            == expected_people
        )
    worker = next(p.worker_id for p in reference if p.worker_id)
    theirs = overdue_in(s, path, day, POLICY, workers=[worker], past=kept.past)
    assert theirs == [p for p in reference if p.worker_id == worker]
    return kept


def test_the_counts_equal_the_rows_counted_in_python(city: Database, now) -> None:
    today = POLICY.local_date(now)
    with city.unit_of_work() as s:
        root, child = s.execute(select(Area.path).order_by(Area.path).limit(2)).scalars()
        # Days items fall due on (a week's meetings, a month's tests) tell overdue from due today.
        due_days = (today + timedelta(days=5), date(today.year, today.month + 1, 1) - timedelta(days=1))
        for day in sorted((today, *due_days, today + timedelta(days=9), today + timedelta(days=40))):
            for path in (root, child):
                assert not _check(s, path, day).past
        for day in due_days:
            falling_due = [r for r in obligation_rows(s, today=day, policy=POLICY) if r.due_date == day]
            assert any(r.state is not State.done for r in falling_due), day
        # Everyone is kept for 40 days on: a day before that is worked out in memory, and counted the same.
        assert _check(s, root, today + timedelta(days=20)).past
        assert _check(s, child, today + timedelta(days=20)).past

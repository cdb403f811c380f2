"""Pauses (暂停管控) as a service: ranges, overlaps, ending early, audit, and the digest's view."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from models.access import Principal
from models.audit import AuditEntry
from models.casework import Pause
from models.services.identity import Identity
from models.services.pauses import PauseError, create_pause, end_pause, paused_in
from tests.integration.reminders_city import City, at, build_city

TODAY = date(2026, 3, 4)


def _who(city: City) -> Identity:
    return Identity(Principal.grid_worker, city.worker.telegram_user_id, worker_id=city.worker.id)


def _pause(city: City, starts: date, ends: date, reason: str = "hospital") -> int:
    with city.db.unit_of_work() as session:
        made = create_pause(
            session,
            _who(city),
            city.people[0].id,
            starts_on=starts,
            ends_on=ends,
            reason=reason,
            today=TODAY,
            now=at(TODAY),
        )
    return made.id


def _city(db: Database) -> City:
    city = build_city(db)
    city.person(created=at(date(2026, 1, 5)))
    return city


def test_a_pause_is_audited_without_its_reason(db: Database) -> None:
    city = _city(db)
    pause_id = _pause(city, TODAY, TODAY + timedelta(days=9), reason="住院治疗（肝病）")
    with db.unit_of_work() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.record_type == "pause")).all()
        assert (entry.action, entry.record_id, entry.person_id, entry.detail) == (
            "create",
            pause_id,
            city.people[0].id,
            "days=10",
        )


@pytest.mark.parametrize(
    ("starts", "ends", "reason"),
    [
        (TODAY, TODAY - timedelta(days=1), "pause_order"),
        (TODAY - timedelta(days=30), TODAY - timedelta(days=20), "pause_past"),
        (TODAY - timedelta(days=15), TODAY + timedelta(days=1), "pause_too_early"),
        (TODAY, TODAY + timedelta(days=400), "pause_too_long"),
    ],
)
def test_a_range_a_worker_may_not_set_is_refused_with_a_reason(
    db: Database, starts: date, ends: date, reason: str
) -> None:
    city = _city(db)
    with pytest.raises(PauseError) as refused:
        _pause(city, starts, ends)
    assert refused.value.reason == reason


def test_pauses_of_one_person_never_overlap(db: Database) -> None:
    city = _city(db)
    _pause(city, TODAY, TODAY + timedelta(days=9))
    with pytest.raises(PauseError, match="pause_overlap"):
        _pause(city, TODAY + timedelta(days=9), TODAY + timedelta(days=20))
    _pause(city, TODAY + timedelta(days=10), TODAY + timedelta(days=20))  # the day after: fine


def test_ending_a_running_pause_makes_today_owed_and_withdraws_a_future_one(db: Database) -> None:
    city = _city(db)
    running = _pause(city, TODAY - timedelta(days=3), TODAY + timedelta(days=9))
    later = _pause(city, TODAY + timedelta(days=20), TODAY + timedelta(days=30))
    with db.unit_of_work() as session:
        who, person = _who(city), city.people[0].id
        end_pause(session, who, running, person_id=person, today=TODAY, now=at(TODAY))
        end_pause(session, who, later, person_id=person, today=TODAY, now=at(TODAY))
        assert end_pause(session, who, later, person_id=person, today=TODAY, now=at(TODAY)) is None
        assert session.get(Pause, running).ends_on == TODAY - timedelta(days=1)
        assert session.get(Pause, later) is None


def test_the_digest_sees_the_pauses_running_in_its_subtree(db: Database) -> None:
    city = _city(db)
    _pause(city, TODAY, TODAY + timedelta(days=9))
    with db.unit_of_work() as session:
        [view] = paused_in(session, area_path=city.grid.path, on=TODAY)
        assert (view.code, view.reason, view.preset) == (city.people[0].code, "hospital", True)
        assert paused_in(session, area_path=city.grid.path, on=TODAY + timedelta(days=10)) == []

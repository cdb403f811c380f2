"""The audit trail: `gridcare audit` prints it by person or actor, and the application cannot change it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from bot.cli import app
from models.access import Action
from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.people import Worker
from models.services.directory.invites import invite_worker
from models.services.identity import resolve
from models.services.rights import may
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core

runner = CliRunner()


@pytest.fixture
def gridcare(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    return run


async def _city_with_activity(db, keys, now) -> None:
    """W-1 looks after P-MINE; W-1 links, lists the caseload, opens a form, and probes P-OTHER."""
    with db.unit_of_work() as s:
        tree = make_tree(s)
        w1 = make_worker(s, tree["G1"], code="W-1")
        w2 = make_worker(s, tree["G1"], code="W-2")
        make_person(s, tree["G1"], keys=keys, now=now, worker=w1, code="P-MINE")
        other = make_person(s, tree["G1"], keys=keys, now=now, worker=w2, code="P-OTHER")
        other_id = other.id
    invite = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now)
    chat = CoreChat(build_core(db, FrozenClock(now)), 501)
    await chat.say(f"/start {invite.code}")
    await chat.say("/my")
    await chat.say("/whoami")
    with db.unit_of_work() as s:
        assert not may(s, resolve(s, 501), Action.write_record, other_id, now=now)


def _rows(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines() if line and not line.startswith("#")][1:]


async def test_audit_by_person_prints_every_entry_about_that_person_and_no_other(db, keys, now, gridcare):
    await _city_with_activity(db, keys, now)
    rows = _rows(gridcare("audit", "--person", "P-MINE"))
    assert all(r[5] == "P-MINE" for r in rows)
    assert any(r[1] == "cli" and r[3] == "create" and r[4].startswith("person:") for r in rows)
    assert "P-OTHER" not in gridcare("audit", "--person", "P-MINE")
    assert not any("(W-1)" in r[1] for r in rows)  # W-1 probed P-OTHER, not P-MINE
    probed = _rows(gridcare("audit", "--person", "P-OTHER"))
    assert any(
        r[3] == "refused" and r[5] == "P-OTHER" and r[6] == "write_record" and "(W-1)" in r[1] for r in probed
    )


async def test_audit_by_actor_prints_what_that_actor_did(db, keys, now, gridcare):
    await _city_with_activity(db, keys, now)
    with db.unit_of_work() as s:
        worker_id = s.scalar(select(Worker.id).where(Worker.code == "W-1"))
    by_code = _rows(gridcare("audit", "--actor", "worker:W-1"))
    by_id = _rows(gridcare("audit", "--actor", f"worker:{worker_id}"))
    assert by_code == by_id
    actions = {(r[3], r[4].split(":")[0]) for r in by_code}
    assert {("link", "worker"), ("list", "caseload"), ("read", "worker"), ("refused", "person")} <= actions
    assert all(f"worker:{worker_id}" in r[1] for r in by_code)


async def test_the_limit_keeps_the_newest_entries(db, keys, now, gridcare):
    await _city_with_activity(db, keys, now)
    rows = _rows(gridcare("audit", "--actor", "worker:W-1", "--limit", "2"))
    assert len(rows) == 2 and rows[-1][3] == "refused"  # oldest first, so the newest is last


async def test_reading_the_trail_is_itself_audited(db, keys, now, gridcare):
    await _city_with_activity(db, keys, now)
    gridcare("audit", "--person", "P-MINE")
    rows = _rows(gridcare("audit", "--actor", "cli"))
    assert any(r[3] == "read_audit" and r[5] == "P-MINE" for r in rows)


def test_audit_needs_exactly_one_of_person_or_actor(db, gridcare):
    assert "exactly one" in gridcare("audit", code=1)
    assert "exactly one" in gridcare("audit", "--person", "P-1", "--actor", "cli", code=1)
    assert "not found" in gridcare("audit", "--person", "NOBODY", code=1)
    assert "not found" in gridcare("audit", "--actor", "robot:1", code=1)


async def test_the_application_cannot_update_or_delete_audit_entries(db, keys, now):
    await _city_with_activity(db, keys, now)
    with db.unit_of_work() as s:
        before = s.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.detail)).all()
    attempts = [
        lambda s: s.execute(update(AuditEntry).values(detail="rewritten")),
        lambda s: s.execute(delete(AuditEntry)),
        lambda s: s.delete(s.scalars(select(AuditEntry).limit(1)).one()),
        lambda s: setattr(s.scalars(select(AuditEntry).limit(1)).one(), "action", "nothing"),
    ]
    for attempt in attempts:
        with pytest.raises(DBAPIError, match="append-only"), db.unit_of_work() as s:
            attempt(s)
            s.flush()
    with db.unit_of_work() as s:
        assert s.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.detail)).all() == before
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == len(before)

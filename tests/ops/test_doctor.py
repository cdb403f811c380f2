"""`gridcare doctor` on a healthy installation (the local Bot API server, a migrated database) and
on each failure it reports: each ✖ names the check and what to do, and the exit code is 1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.doctor import check_clock, check_postgres
from bot.jobs import JOBS
from bot.telegram_api import LocalBotApi
from models.crypto import KeyRing
from models.outbox import JobRun
from models.sealing import check_ring
from tests.e2e.harness import TOKEN, local_api
from tests.factories import TEST_KEYS
from tests.support.outbox import queue

runner = CliRunner()
OTHER_KEYS = "t1:" + "A" * 43 + "="  # the same key id as TEST_KEYS, another key


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with local_api() as server:
        yield server


@pytest.fixture
def healthy(db_url, db, api, tmp_path, monkeypatch) -> Database:
    """A migrated database whose key checks, statistics and job runs are in order, and a bot token."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db_url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("GRIDCARE_API_URL", api.base_url)
    for name in ("GRIDCARE_MODE", "GRIDCARE_TIMEZONE", "GRIDCARE_CLOCK_START", "GRIDCARE_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    db.call(check_ring, KeyRing.parse(TEST_KEYS))
    ran = datetime.now(UTC) - timedelta(hours=1)
    with db.unit_of_work() as session:
        for job in JOBS:
            session.add(JobRun(job=job.name, run_key="k", started_at=ran, finished_at=ran, detail="1"))
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return db


async def doctor() -> tuple[int, list[str]]:
    """Run `gridcare doctor` (in a thread: the local Bot API server runs on this event loop)."""
    result = await asyncio.to_thread(runner.invoke, app, ["doctor"])
    return result.exit_code, result.output.splitlines()


def line(lines: list[str], check: str) -> str:
    found = [entry for entry in lines if entry[2:].startswith(f"{check}:")]
    assert len(found) == 1, f"one line for {check!r} in {lines}"
    return found[0]


def server_autovacuum(db: Database) -> bool:
    return db.is_sqlite or db.call(lambda s: s.scalar(text("SHOW autovacuum"))) == "on"


async def test_a_healthy_installation_passes_every_check(healthy):
    code, lines = await doctor()
    if not server_autovacuum(healthy):  # the test server's own choice, which doctor must report
        assert code == 1 and line(lines, "autovacuum").startswith("✖ autovacuum: off on the server")
        lines = [entry for entry in lines if not entry.startswith("✖ autovacuum")]
    else:
        assert code == 0, "\n".join(lines)
    assert all(entry.startswith("✔") for entry in lines), lines
    checks = [
        "configuration",
        "time zone",
        "database",
        "schema",
        "encryption keys",
        "outbox",
        "scheduled jobs",
    ]
    checks += ["Bot API", "webhook", "clock"]
    if not healthy.is_sqlite:
        checks += ["autovacuum", "statistics"] if server_autovacuum(healthy) else ["statistics"]
    for check in checks:
        assert line(lines, check).startswith("✔")
    assert TOKEN.split(":")[1] not in "\n".join(lines)


async def failing(check: str, *fragments: str) -> str:
    code, lines = await doctor()
    assert code == 1, "\n".join(lines)
    found = line(lines, check)
    assert found.startswith("✖") and "→" in found, found
    for fragment in fragments:
        assert fragment in found, found
    assert TOKEN.split(":")[1] not in "\n".join(lines), "the token is never printed"
    return found


async def test_a_setting_that_cannot_be_read(healthy, monkeypatch):
    monkeypatch.setenv("GRIDCARE_LOCALE", "fr")
    await failing("configuration", "GRIDCARE_LOCALE")


async def test_no_bot_token(healthy, monkeypatch):
    monkeypatch.delenv("GRIDCARE_BOT_TOKEN")
    await failing("configuration", "GRIDCARE_BOT_TOKEN")


async def test_an_unknown_time_zone(healthy, monkeypatch):
    monkeypatch.setenv("GRIDCARE_TIMEZONE", "Mars/Olympus")
    await failing("time zone", "GRIDCARE_TIMEZONE")


async def test_the_wrong_encryption_key(healthy, monkeypatch):
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", OTHER_KEYS)
    await failing("encryption keys", "t1", "GRIDCARE_SECRET_KEY")


async def test_a_database_that_cannot_be_reached(healthy, monkeypatch):
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", "postgresql://gridcare@127.0.0.1:9/gridcare")
    await failing("database", "cannot be reached", "GRIDCARE_DATABASE_URL")


async def test_a_schema_behind_the_code(healthy, monkeypatch, tmp_path: Path):
    empty = tmp_path / "empty.db"
    Database(f"sqlite:///{empty}").call(lambda s: s.execute(text("CREATE TABLE t (x INTEGER)")))
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", f"sqlite:///{empty}")
    await failing("schema", "gridcare db upgrade")


async def test_a_bot_api_that_cannot_be_reached(healthy, monkeypatch):
    monkeypatch.setenv("GRIDCARE_API_URL", "http://127.0.0.1:9")
    await failing("Bot API", "cannot be reached", "GRIDCARE_API_URL")


async def test_a_token_the_bot_api_refuses(healthy, monkeypatch):
    monkeypatch.setenv("GRIDCARE_BOT_TOKEN", "999:not-a-known-token")
    await failing("Bot API", "refused")


async def test_a_webhook_telegram_cannot_deliver_to(healthy, api):
    async with httpx.AsyncClient() as http:
        url = f"{api.base_url}/bot{TOKEN}/setWebhook"
        assert (await http.post(url, json={"url": "http://127.0.0.1:9/telegram"})).json()["ok"]
        info_url = f"{api.base_url}/bot{TOKEN}/getWebhookInfo"
        api.user_sends(7800001, "/start")
        for _ in range(200):  # the server tries to deliver, fails, and records why
            if "last_error_message" in (await http.post(info_url)).json()["result"]:
                break
            await asyncio.sleep(0.05)
    await failing("webhook", "last delivery failed", "reverse proxy")


async def test_an_outbox_backing_up(healthy):
    queue(healthy, [7800002], now=datetime.now(UTC) - timedelta(hours=1))
    await failing("outbox", "1 queued", "gridcare outbox status")


async def test_a_job_that_has_not_run_for_a_day(healthy):
    with healthy.unit_of_work() as session:
        session.execute(JobRun.__table__.delete().where(JobRun.job == "daily_digests"))
    await failing("scheduled jobs", "daily_digests")


async def test_autovacuum_turned_off_for_a_table(healthy):
    if healthy.is_sqlite:
        pytest.skip("a PostgreSQL setting")
    with healthy.unit_of_work() as session:
        session.execute(text("ALTER TABLE outbox SET (autovacuum_enabled = false)"))
    try:
        await failing("autovacuum", "for outbox", "RESET (autovacuum_enabled)")
    finally:
        with healthy.unit_of_work() as session:
            session.execute(text("ALTER TABLE outbox RESET (autovacuum_enabled)"))


def test_a_table_never_analysed_has_no_statistics(healthy):
    if healthy.is_sqlite:
        pytest.skip("PostgreSQL's planner statistics")
    with healthy.sessions() as session:  # rolled back: the table never outlives the test
        session.execute(text("CREATE TABLE doctor_probe (x integer)"))
        session.execute(text("INSERT INTO doctor_probe SELECT generate_series(1, 60000)"))  # > 1 MB
        findings = {f.check: f for f in check_postgres(session)}
        session.rollback()
    assert not findings["statistics"].ok and "doctor_probe" in findings["statistics"].detail
    assert "ANALYZE" in findings["statistics"].fix


def test_a_clock_out_of_step_with_the_servers():
    wall = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    finding = check_clock(wall, {"database server": wall + timedelta(minutes=3), "Bot API server": wall})
    assert not finding.ok and "180 s from the database server" in finding.detail and "NTP" in finding.fix
    assert check_clock(wall, {"database server": wall + timedelta(seconds=2)}).ok

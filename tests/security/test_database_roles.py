"""On PostgreSQL the bot runs as a role that can add to the audit trail and read it, nothing more.

The attack (issue 17.8): compose.yaml ran the bot as the PostgreSQL superuser, which can TRUNCATE
audit_log (row triggers do not fire on TRUNCATE) or drop the triggers. deploy/postgres/roles.sql
makes an owner role (migrations) and an application role (the bot); grants.sql, run by the owner
after each upgrade, gives the application role rows to read and write, on audit_log only INSERT and
SELECT. Here both scripts run as compose runs them, on a database and roles of this test's own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from bot.db import Database
from bot.migrate import upgrade
from bot.outbox import Sender
from bot.scheduler import Scheduler
from handlers.render import Renderer
from models.audit import AuditEntry
from models.clock import FrozenClock
from models.policy import Policy
from models.records import Record
from tests.conftest import PG_URL
from tests.integration.test_reports_support import chat_as, city, tap
from tests.support.outbox import FAST, FakeTelegram

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy" / "postgres"
_VARIABLE = re.compile(r"""(?<!:):(['"])(\w+)\1""")


def psql_script(path: Path, **variables: str) -> str:
    """The script as `psql -v name=value -f path` sends it: :'name' a literal, :"name" an identifier."""

    def value(match: re.Match[str]) -> str:
        quote, name = match.groups()
        return quote + variables[name].replace(quote, quote * 2) + quote

    return _VARIABLE.sub(value, path.read_text(encoding="utf-8"))


def run_script(engine: Engine, script: str) -> None:
    """Run a script of several statements as psql would, each committed (no parameters: no %-style)."""
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(script)
        connection.commit()
    finally:
        connection.close()


@dataclass(frozen=True)
class Deployment:
    owner_url: str
    app_url: str
    app_role: str


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """A database set up as compose sets it up: roles.sql by the superuser, the migrations and then
    grants.sql (twice: it runs after every upgrade) by the owner role."""
    assert PG_URL is not None
    server = make_url(PG_URL)  # postgresql://, as libpq and the settings spell it
    psycopg_driver = {"drivername": "postgresql+psycopg"}
    suffix = uuid.uuid4().hex[:8]
    name, owner, app = f"gridcare_roles_{suffix}", f"gc_owner_{suffix}", f"gc_app_{suffix}"
    admin = create_engine(server.set(**psycopg_driver), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    superuser = create_engine(server.set(database=name, **psycopg_driver))
    variables = {"owner_role": owner, "app_role": app, "owner_password": suffix, "app_password": suffix}
    try:
        run_script(superuser, psql_script(DEPLOY / "roles.sql", **variables))
        superuser.dispose()
        owner_url = server.set(database=name, username=owner, password=suffix)
        upgrade(owner_url.render_as_string(hide_password=False))
        as_owner = create_engine(owner_url.set(**psycopg_driver))
        for _ in range(2):
            run_script(as_owner, psql_script(DEPLOY / "grants.sql", app_role=app))
        as_owner.dispose()
        yield Deployment(
            owner_url=owner_url.render_as_string(hide_password=False),
            app_url=server.set(database=name, username=app, password=suffix).render_as_string(
                hide_password=False
            ),
            app_role=app,
        )
    finally:
        superuser.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{app}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


@pytest.fixture
def app_db(deployment: Deployment) -> Iterator[Database]:
    database = Database(deployment.app_url)
    yield database
    database.dispose()


@pytest.mark.postgres
async def test_the_bot_does_its_work_as_the_application_role(app_db, keys, now, capsys, caplog):
    with app_db.unit_of_work() as s:
        assert s.execute(text("SELECT current_user")).scalar_one().startswith("gc_app_")
    ids = city(app_db, keys, now)  # what an import does
    clock = FrozenClock(now)
    chat = chat_as(app_db, clock, "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    for label in ("常规走访", "跳过", "跳过", "确认"):  # a visit: dialog state, record, audit, outbox
        await tap(chat, label)
    clock.advance(timedelta(days=1))
    scheduler = Scheduler(app_db, clock=clock, policy=Policy(), renderer=Renderer(Policy().tz), keys=keys)
    ran = await scheduler.tick()  # every job due: reminders, escalations, digests, pruning
    telegram = FakeTelegram()
    await Sender(app_db, telegram, clock=clock, policy=Policy(), settings=FAST).drain()  # what they queued
    out, err = capsys.readouterr()
    assert "job_failed" not in out + err + caplog.text  # a job refused a privilege would say so
    assert ran and telegram.delivered
    with app_db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 1
        assert s.scalar(select(func.count()).select_from(AuditEntry)) >= 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_log",
        "UPDATE audit_log SET action = 'nothing happened'",
        "DELETE FROM audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DROP TABLE audit_log",
        "INSERT INTO alembic_version VALUES ('0000')",
        "CREATE TABLE shadow (id int)",
    ],
)
def test_the_application_role_cannot_empty_change_or_drop_the_audit_trail(deployment, statement):
    with psycopg.connect(deployment.app_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.postgres
def test_the_application_role_owns_nothing_and_holds_no_power(deployment):
    with psycopg.connect(deployment.app_url) as conn:
        owned = conn.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone()
        powers = conn.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user"
        ).fetchone()
        audit = conn.execute(
            "SELECT has_table_privilege('audit_log', 'INSERT') AND has_table_privilege('audit_log', 'SELECT')"
        ).fetchone()
    assert owned == (0,) and powers == (False,) and audit == (True,)


def test_compose_migrates_as_the_owner_and_runs_the_bots_as_the_application_role():
    """compose.yaml and the scripts name the same roles (no YAML parser here: the lines themselves)."""
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    initdb = (DEPLOY / "initdb.sh").read_text(encoding="utf-8")
    urls = re.findall(r"GRIDCARE_DATABASE_URL: (\S+)", compose)
    assert urls == ["postgresql://gridcare_owner@db/gridcare", "postgresql://gridcare_app@db/gridcare"]
    assert compose.count("environment: *app") == compose.count("gridcare run") - 1  # every bot
    assert "-v app_role=gridcare_app -f /gridcare-sql/grants.sql" in compose
    assert "-v owner_role=gridcare_owner -v app_role=gridcare_app" in initdb
    assert "initdb.sh:/docker-entrypoint-initdb.d/" in compose
    assert "POSTGRES_USER: gridcare\n" not in compose  # the superuser is no longer the bots' user

"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL.

Every test that takes `db` runs once per backend. GRIDCARE_TEST_POSTGRES_URL names a server
(e.g. postgresql://postgres@127.0.0.1:5432/postgres); the tests create and drop their own database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.db import Database
from bot.migrate import upgrade
from models.all import metadata
from models.audit import AuditEntry
from models.crypto import KeyRing
from tests.factories import TEST_KEYS

os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

PG_URL = os.environ.get("GRIDCARE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This worker's own migrated database, made once; `db_url` empties it before each test."""
    assert PG_URL, "GRIDCARE_TEST_POSTGRES_URL is not set"
    server = make_url(PG_URL)
    name = f"gridcare_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_url: str) -> Iterator[Engine]:
    """One connection per worker to empty its database between tests (a new one costs a login).

    It pings before each use: a test may end every connection to the database on purpose
    (test_db_reconnect), this one included, and the next test must still start empty.
    """
    url = make_url(postgres_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=1, pool_pre_ping=True)
    yield engine
    engine.dispose()


# What a test may have written to, children first (their foreign keys point at the tables after them).
_TABLES = [table.name for table in reversed(metadata.sorted_tables)]
_WRITTEN = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in _TABLES)
_RESTART_IDS = (
    "SELECT setval(oid::regclass, 1, false) FROM pg_class "
    "WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
)


def _empty_postgres(engine: Engine) -> None:
    """Leave the database as `upgrade` made it: every table empty and every id starting again at 1.

    Only the tables that hold rows are emptied, with DELETE: truncating all the tables (new files for
    each table and index) cost about a second per test, most of PostgreSQL's share of the suite.
    The audit log refuses DELETE (its append-only trigger), so it alone is truncated.
    """
    with engine.begin() as conn:
        written = {name for (name,) in conn.exec_driver_sql(_WRITTEN)}
        for name in (n for n in _TABLES if n in written):
            verb = "TRUNCATE" if name == AuditEntry.__tablename__ else "DELETE FROM"
            conn.exec_driver_sql(f'{verb} "{name}"')
        conn.exec_driver_sql(_RESTART_IDS)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database URL for this test."""
    if request.param == "sqlite":
        path = tmp_path / "gridcare.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(request.getfixturevalue("postgres_cleaner"))
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def empty_postgres(postgres_cleaner: Engine) -> Callable[[], None]:
    """Empty the PostgreSQL test database again (a test that writes, checks, and writes anew)."""
    return lambda: _empty_postgres(postgres_cleaner)


@pytest.fixture
def pg(postgres_url: str, empty_postgres: Callable[[], None]) -> Iterator[Database]:
    """An empty PostgreSQL database alone, for what only PostgreSQL does (mark the test `postgres`)."""
    empty_postgres()
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture
def keys() -> KeyRing:
    return KeyRing.parse(TEST_KEYS)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server, tests marked `postgres` are left out (deselected, not skipped)."""
    if PG_URL:
        return
    left_out = [item for item in items if item.get_closest_marker("postgres")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]

"""What every benchmark shares: sizes, the machine, statistics, memory readings and scratch databases."""

from __future__ import annotations

import base64
import json
import logging
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import structlog
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.db import Database
from bot.jobs import Job
from bot.scheduler import Scheduler
from handlers.render import Renderer
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.people import Worker
from models.policy import Policy

# A fixed, obviously fake field-encryption key: benchmark data is synthetic.
BENCH_KEYS = "b1:" + base64.urlsafe_b64encode(b"b" * 32).decode()
# A Wednesday, 10:00 in Shanghai: the demo city's records and the chat's clock are set around it.
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
FIRST_STAFF_USER_ID = 7_500_000_000  # fake Telegram ids of the staff (the chat's users start at 7.1e9)


@dataclass(frozen=True)
class Size:
    """One scale of the suite: the demo city, and how long and how often each measurement runs."""

    name: str
    persons: int
    workers: int | None
    supervisors: int | None
    repeats: int  # runs per figure; the median is reported
    uow_seconds: float  # length of one unit-of-work measurement
    chat_users: int  # distinct Telegram accounts driving the chat at once
    chat_per_user: int  # updates each user sends per saturated run (a cycle is 8)
    paced_seconds: float  # length of one paced run
    naive_obligations: bool  # run today's per-person obligation_rows over the whole city (memory)
    outbox_messages: int = 500  # one burst of the sender benchmark (issue 9.4: 500 messages, 100 chats)
    outbox_chats: int = 100


SIZES = {
    "toy": Size("toy", 300, None, None, 1, 0.05, 4, 8, 0.2, True, outbox_messages=30, outbox_chats=30),
    "city": Size("city", 10_000, 1_000, None, 3, 0.75, 100, 8, 2.0, True),
    "province": Size("province", 100_000, 10_000, None, 3, 1.0, 200, 8, 2.0, True),
    "country": Size("country", 1_000_000, 100_000, 5_000, 3, 1.0, 200, 8, 2.0, False),
}


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (`uptime`): how busy the shared machine was."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def child_json(module: str, *args: str, timeout: float = 7200) -> dict[str, Any]:
    """Run `python -m module args…` in a fresh process (its memory its own) and return the JSON
    object it printed last."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def link_staff(session: Session) -> int:
    """Give every active worker without a Telegram account a fake one, so that reminders and digests
    have somewhere to go; how many were linked.

    One UPDATE, not invites (`bench.script.link_workers` redeems real invites for the chat's few
    users): a country's 100,000 invites would be the longest part of the set-up.
    """
    linked = session.execute(
        update(Worker)
        .where(Worker.active.is_(True), Worker.telegram_user_id.is_(None))
        .values(telegram_user_id=FIRST_STAFF_USER_ID + Worker.id)
    )
    return int(linked.rowcount or 0)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{_meminfo_kb('MemTotal') / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _meminfo_kb(key: str) -> int:
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _status_kb(key: str) -> int:
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss_mb() -> float:
    """This process's resident memory now (psutil if installed, else /proc/self/status VmRSS)."""
    try:
        import psutil  # type: ignore[import-not-found,import-untyped,unused-ignore]

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """The most resident memory this process has had (VmHWM), since start or `reset_peak()`."""
    return _status_kb("VmHWM") / 1024


def reset_peak() -> bool:
    """Start the peak over (Linux ≥ 4.0: write 5 to clear_refs); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table (Markdown-compatible, so it pastes into BENCHMARKS.md)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@contextmanager
def scratch_sqlite(directory: Path | None = None, name: str = "bench.db") -> Iterator[str]:
    """A migrated SQLite file in a temporary folder, deleted afterwards."""
    from bot.migrate import upgrade  # here, not at the top: alembic would weigh on the idle-memory figure

    with tempfile.TemporaryDirectory(prefix="gridcare-bench-", dir=directory) as folder:
        url = f"sqlite:///{Path(folder) / name}"
        upgrade(url)
        yield url


@contextmanager
def scratch_postgres(server: str, revision: str = "head") -> Iterator[str]:
    """A database of its own on the PostgreSQL server, migrated to `revision`, dropped afterwards."""
    admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    from bot.migrate import upgrade

    name = f"gridcare_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        upgrade(url, revision)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def analyze(url: str) -> None:
    """Give PostgreSQL the planner statistics autovacuum would have gathered after a bulk load.

    The demo city is written in one go and the benchmark starts at once; with autovacuum off (as on
    this machine's server) or not yet round, the planner sees empty tables and picks nested loops
    that take minutes for the obligation statement. SQLite gathers no statistics by itself in
    production either, so it is left as it is.
    """
    if make_url(url).get_backend_name() != "postgresql":
        return
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def postgres_version(server: str) -> str | None:
    """The server's version, or None if nothing answers there."""
    engine = create_engine(
        make_url(server).set(drivername="postgresql+psycopg"), connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    except Exception:
        return None
    finally:
        engine.dispose()


class LogTally:
    """Logs during a benchmark: warnings and errors counted by event (the first of each kept), nothing
    printed, so a failing update shows in the summary instead of flooding the terminal or costing time."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, str] = {}

    def __call__(self, _logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        if method in ("warning", "error", "exception", "critical"):
            name = f"{method}:{event.get('event')}"
            self.counts[name] = self.counts.get(name, 0) + 1
            if name not in self.first:
                exc = event.get("exc_info")
                exc = sys.exc_info() if exc is True else exc
                self.first[name] = repr(exc[1]) if isinstance(exc, tuple) else ""
        raise structlog.DropEvent

    def install(self) -> LogTally:
        structlog.configure(processors=[self], cache_logger_on_first_use=False)
        logging.basicConfig(level=logging.ERROR)
        return self

    def lines(self) -> list[str]:
        return [
            f"{name} ×{n} {self.first.get(name, '')[:200]}".rstrip()
            for name, n in sorted(self.counts.items())
        ]


async def run_scheduled(
    db: Database, job: Job, policy: Policy, renderer: Renderer, keys: KeyRing, at: datetime
) -> tuple[float, int]:
    """One run of a job as the scheduler runs it (its key row, the job, the commit): seconds, count."""
    scheduler = Scheduler(db, clock=FrozenClock(at), policy=policy, renderer=renderer, keys=keys, jobs=[job])
    try:
        start = perf_counter()
        report = await scheduler.run_job(job)
        seconds = perf_counter() - start
    finally:
        scheduler.leadership.release()
    if report is None:
        raise RuntimeError(f"the {job.name} job did not run at {at.isoformat()} (failed, or not due)")
    return seconds, report.count

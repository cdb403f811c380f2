"""`gridcare doctor`: one line per check, ✔ or ✖ with what to do; exit 1 on any ✖ (bot/doctor.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import typer
from rich.markup import escape
from sqlalchemy import text

from bot import doctor
from bot.app import clock_from
from bot.cli.common import console
from bot.cli.errors import config_reason
from bot.config import ConfigError, Settings, load_settings
from bot.db import Database
from bot.doctor import Finding
from models.clock import SystemClock

API_TIMEOUT = 10.0


def diagnose() -> Iterator[Finding]:
    """Every check, in order; a check that others depend on stops them when it fails."""
    try:
        settings = load_settings()
    except (ConfigError, ValueError) as exc:
        yield doctor.bad("configuration", config_reason(exc), "fix the setting named (see .env.example)")
        return
    yield from doctor.check_configuration(settings)
    yield doctor.check_time_zone(settings)
    others: dict[str, datetime] = {}
    yield from _database(settings, others)
    if settings.bot_token is not None:
        with httpx.Client(timeout=API_TIMEOUT) as client:
            api = doctor.BotApi(settings, client)
            found = doctor.check_bot_api(api, settings)
            yield found
            if found.ok:
                yield doctor.check_webhook(api, clock_from(settings).now())
            if api.date is not None:
                others["Bot API server"] = api.date
    yield doctor.check_clock(SystemClock().now(), others)


def _database(settings: Settings, others: dict[str, datetime]) -> Iterator[Finding]:
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        yield doctor.bad("database", f"{path} does not exist", "run: gridcare db upgrade")
        return
    db = Database(settings.database_url)
    try:
        try:
            server_now = db.call(lambda s: s.scalar(text("SELECT CURRENT_TIMESTAMP")))
        except Exception as exc:  # the driver's message may quote the URL: its type only
            yield doctor.bad(
                "database",
                f"cannot be reached ({type(exc).__name__})",
                "check GRIDCARE_DATABASE_URL, that the server runs, and the password (PGPASSWORD)",
            )
            return
        yield doctor.good("database", f"reachable ({db.engine.dialect.name})")
        if not db.is_sqlite and isinstance(server_now, datetime):
            others["database server"] = server_now
        schema = doctor.check_schema(settings, db)
        yield schema
        if not schema.ok:
            return
        now = clock_from(settings).now()
        with db.unit_of_work() as session:
            yield doctor.check_keys(settings, session)
            if not db.is_sqlite:
                yield from doctor.check_postgres(session)
            yield doctor.check_outbox(session, now)
            yield doctor.check_jobs(session, now)
    finally:
        db.dispose()


def doctor_cmd() -> None:
    """Check this installation: settings, keys, database, Bot API, webhook, outbox, jobs, clock.

    One line per check, ✔ or ✖ with what to do; exits 1 if any check failed. Run it first."""
    failed = False
    for finding in diagnose():
        failed |= not finding.ok
        line = f"{finding.check}: {escape(finding.detail)}"
        if finding.ok:
            console.print(f"[green]✔[/] {line}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[red]✖[/] {line} → {escape(finding.fix)}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_cmd)

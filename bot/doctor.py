"""`gridcare doctor`: is this installation healthy? One finding per check, each with what to do.

The checks read and never change anything (the key ring is checked against the stored check
values without recording new ones). Nothing personal is printed: counts, ages, revisions and
Telegram's own error texts only. The Bot API is asked with plain HTTP (httpx), and an error is
reported by its type: an httpx error quotes the URL, and the URL holds the token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot import migrate
from bot.app import key_ring
from bot.config import ConfigError, Mode, Settings
from bot.db import Database
from bot.jobs import JOBS
from models.sealing import ring_state
from models.services.health import last_successes
from models.services.outbox.queue import queue_state

OUTBOX_LATE = timedelta(minutes=15)  # the oldest message still to send: older is a backlog
JOB_LATE = timedelta(hours=26)  # every job runs at least daily
PENDING_UPDATES_MAX = 100  # updates Telegram holds for a webhook that is not taking them
WEBHOOK_ERROR_RECENT = timedelta(hours=1)
CLOCK_SKEW_MAX = timedelta(seconds=30)
# A table this large never analysed is planned blind; a smaller one (key_checks, a new install's
# tables) is read whole in a moment, and autovacuum may never analyse it: no finding.
STATISTICS_MIN_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""


def good(check: str, detail: str) -> Finding:
    return Finding(check, True, detail)


def bad(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, False, detail, fix)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"


def check_configuration(settings: Settings) -> Iterator[Finding]:
    problems = []
    if settings.bot_token is None:
        problems.append("GRIDCARE_BOT_TOKEN is not set (the token @BotFather gave)")
    if settings.mode is Mode.production and settings.clock_start is not None:
        problems.append("GRIDCARE_CLOCK_START is set in production (it is for rehearsals): unset it")
    if settings.mode is Mode.production and settings.is_sqlite:
        problems.append("production on SQLite: set GRIDCARE_DATABASE_URL to PostgreSQL")
    if problems:
        yield bad(
            "configuration", "; ".join(problems), "fix the settings above (.env.example lists them all)"
        )
    else:
        yield good(
            "configuration", f"{settings.mode.value} mode, {settings.transport.value}, {settings.locale}"
        )


def check_keys(settings: Settings, session: Session) -> Finding:
    try:
        keys = key_ring(settings)
    except ConfigError as exc:
        return bad("encryption keys", str(exc), "set GRIDCARE_SECRET_KEY (gridcare keys new makes one)")
    state = ring_state(session, keys)
    wrong = [kid for kid, matches in state.items() if matches is False]
    if wrong:
        return bad(
            "encryption keys",
            f"key {', '.join(wrong)} is not the key this database was sealed with",
            "set GRIDCARE_SECRET_KEY to the keys in use (your key backup); never reuse a key id",
        )
    new = [kid for kid, matches in state.items() if matches is None]
    note = f" ({', '.join(new)} new: recorded at the next start)" if new else ""
    return good("encryption keys", f"{len(state)} key(s) match their check values{note}")


def check_schema(settings: Settings, db: Database) -> Finding:
    current, head = migrate.current_and_head(db.engine, settings.database_url)
    if current == head:
        return good("schema", f"at the newest revision ({head})")
    if current is not None and not migrate.knows(settings.database_url, current):
        return bad("schema", f"at {current}, newer than this program", "run the newer gridcare version")
    return bad("schema", f"at {current or 'nothing'}, the code's is {head}", "run: gridcare db upgrade")


def check_postgres(session: Session) -> Iterator[Finding]:
    """Autovacuum on, server-wide and for every table; every table of some size analysed at least
    once (a small table, as after the first migration, needs no statistics)."""
    on = session.scalar(text("SHOW autovacuum")) == "on"
    off_tables = session.scalars(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
            "AND 'autovacuum_enabled=false' = ANY(coalesce(c.reloptions, '{}')) ORDER BY 1"
        )
    ).all()
    if not on or off_tables:
        where = (["on the server"] if not on else []) + (
            [f"for {', '.join(off_tables)}"] if off_tables else []
        )
        yield bad(
            "autovacuum",
            f"off {' and '.join(where)}",
            "set autovacuum = on (postgresql.conf) / ALTER TABLE ... RESET (autovacuum_enabled)",
        )
    else:
        yield good("autovacuum", "on")
    never = session.scalars(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.reltuples < 0 "
            "AND pg_relation_size(c.oid) > :size ORDER BY 1"
        ),
        {"size": STATISTICS_MIN_BYTES},
    ).all()
    if never:
        shown = ", ".join(never[:5]) + (" ..." if len(never) > 5 else "")
        yield bad("statistics", f"{len(never)} table(s) never analysed: {shown}", "run: ANALYZE; (psql)")
    else:
        yield good("statistics", "every table has planner statistics")


def check_outbox(session: Session, now: datetime) -> Finding:
    state = queue_state(session, now=now)
    counts = f"{state.queued} queued, {state.retrying} retrying, {state.dead} dead"
    if state.oldest_pending is not None and state.oldest_pending > OUTBOX_LATE:
        return bad(
            "outbox",
            f"{counts}; the oldest has waited {_ago(state.oldest_pending).removesuffix(' ago')}",
            "is a bot process running? gridcare outbox status says what holds them",
        )
    return good("outbox", counts)


def check_jobs(session: Session, now: datetime) -> Finding:
    last = last_successes(session)
    if not last:
        return good("scheduled jobs", "none has run yet (a new installation: start the bot)")
    late = sorted(
        job.name for job in JOBS if now - last.get(job.name, datetime.min.replace(tzinfo=UTC)) > JOB_LATE
    )
    if late:
        return bad(
            "scheduled jobs",
            f"no run in the last {JOB_LATE.total_seconds() / 3600:g} h: {', '.join(late)}",
            "is a bot process running? look for job_failed in its logs",
        )
    return good("scheduled jobs", f"{len(JOBS)} ran on time; latest {_ago(now - max(last.values()))}")


def check_time_zone(settings: Settings) -> Finding:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return bad(
            "time zone", f"{settings.timezone!r} is unknown", "set GRIDCARE_TIMEZONE, e.g. Asia/Shanghai"
        )
    return good("time zone", settings.timezone)


def check_clock(wall: datetime, others: dict[str, datetime]) -> Finding:
    """This machine's clock against the database server's and the Bot API's."""
    skews = {name: abs(wall - theirs) for name, theirs in others.items()}
    off = {name: skew for name, skew in skews.items() if skew > CLOCK_SKEW_MAX}
    if off:
        shown = ", ".join(f"{skew.total_seconds():.0f} s from the {name}" for name, skew in off.items())
        return bad(
            "clock", f"this machine's clock is {shown}", "synchronise it (NTP: timedatectl set-ntp true)"
        )
    compared = " and ".join(skews) or "nothing to compare with"
    return good("clock", f"{wall:%Y-%m-%d %H:%M:%S} UTC, agrees with {compared}")


class BotApi:
    """The two Bot API calls the doctor makes, over plain HTTP."""

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        assert settings.bot_token is not None
        self._base = f"{settings.api_url.rstrip('/')}/bot{settings.bot_token.get_secret_value()}/"
        self._client = client
        self.date: datetime | None = None  # the server's clock, from its Date header

    def call(self, method: str) -> dict[str, Any]:
        response = self._client.post(self._base + method)
        if "date" in response.headers:
            self.date = parsedate_to_datetime(response.headers["date"]).astimezone(UTC)
        body = response.json()
        if not body.get("ok"):
            raise _Refused(response.status_code, str(body.get("description", "")))
        return dict(body["result"])


class _Refused(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status, self.description = status, description


def check_bot_api(api: BotApi, settings: Settings) -> Finding:
    try:
        me = api.call("getMe")
    except _Refused as exc:
        if exc.status == 401:
            return bad(
                "Bot API", "the token was refused (401)", "set GRIDCARE_BOT_TOKEN to the token of @BotFather"
            )
        return bad("Bot API", f"getMe failed: {exc.status} {exc.description}", "check GRIDCARE_API_URL")
    except (httpx.HTTPError, ValueError) as exc:
        return bad(
            "Bot API",
            f"{settings.api_url} cannot be reached ({type(exc).__name__})",
            "check the network, a proxy (HTTPS_PROXY) and GRIDCARE_API_URL",
        )
    return good("Bot API", f"reachable, the token is @{me.get('username', '?')}'s")


def check_webhook(api: BotApi, now: datetime) -> Finding:
    try:
        info = api.call("getWebhookInfo")
    except (_Refused, httpx.HTTPError, ValueError) as exc:
        return bad("webhook", f"getWebhookInfo failed ({type(exc).__name__})", "see the Bot API line above")
    url, pending = info.get("url") or "", int(info.get("pending_update_count", 0))
    if not url:
        return good("webhook", f"none set (long polling); {pending} update(s) waiting")
    problems = []
    error_at = info.get("last_error_date")
    if error_at is not None and now - datetime.fromtimestamp(int(error_at), UTC) < WEBHOOK_ERROR_RECENT:
        problems.append(f"Telegram's last delivery failed: {info.get('last_error_message', '?')}")
    if pending > PENDING_UPDATES_MAX:
        problems.append(f"{pending} updates waiting")
    if problems:
        return bad(
            "webhook",
            "; ".join(problems),
            "is `gridcare run --webhook` up and reachable at the URL through the reverse proxy?",
        )
    return good("webhook", f"set, {pending} update(s) waiting, no recent error")

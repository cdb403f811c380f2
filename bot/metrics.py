"""Prometheus metrics (prometheus-client): what a running bot does, for an operator's dashboards.

Counters and histograms move as the process works (updates, sends, jobs); the gauges read from
the database (outbox depth, the oldest queued message, open alerts, each job's last success) are
refreshed at each scrape, so every process reports the shared state. Labels are kinds, outcomes,
statuses and job names (`job_name`: Prometheus keeps `job` for the scrape target), never an id,
a person's name or a text.

`/metrics` is served
- on the webhook server only with `GRIDCARE_METRICS_TOKEN` set, and then only to a request that
  carries `Authorization: Bearer <token>` (the webhook port is the public one);
- on its own port with `GRIDCARE_METRICS_LISTEN` (polling or webhook mode): a loopback address
  needs no token, any other address requires the token.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from hmac import compare_digest
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from bot.config import ConfigError, Settings
from models.services.health import health

if TYPE_CHECKING:
    from bot.app import GridcareBot

UPDATES = Counter("gridcare_updates", "Updates handled, by kind and outcome", ["kind", "outcome"])
UPDATE_SECONDS = Histogram(
    "gridcare_update_seconds",
    "Time to handle an update and deliver its answers",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_QUEUE = Gauge("gridcare_db_queue", "Units of work waiting for the database threads")
SENDS = Counter("gridcare_sends", "Outbox send attempts, by outcome", ["outcome"])
RATE_LIMITED = Counter("gridcare_rate_limited", "429 answers from the Bot API (flood waits)")
DEAD_LETTERS = Counter("gridcare_dead_letters", "Outbox messages given up on")
OUTBOX = Gauge("gridcare_outbox_messages", "Outbox messages by status", ["status"])
OUTBOX_OLDEST = Gauge("gridcare_outbox_oldest_queued_seconds", "Age of the oldest message still to send")
JOB_RUNS = Counter("gridcare_job_runs", "Scheduled job runs, by job and outcome", ["job_name", "outcome"])
JOB_SECONDS = Histogram(
    "gridcare_job_seconds", "Scheduled job run time", ["job_name"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900)
)
JOB_LAST_SUCCESS = Gauge(
    "gridcare_job_last_success_timestamp_seconds",
    "When each job's latest run finished (Unix time)",
    ["job_name"],
)
ALERTS_OPEN = Gauge("gridcare_alerts_open", "Urgent alerts nobody has taken yet")
ALERTS_LATE = Gauge("gridcare_alerts_unanswered_past_deadline", "Urgent alerts untaken past their deadline")
ALERTS_UNROUTED = Gauge("gridcare_alerts_unrouted", "Alerts missing a role nobody could be found for")
OUTBOX_STATUSES = ("queued", "retrying", "sending", "sent", "dead")
_LOOPBACK = ("localhost",)


@contextmanager
def update_timer(kind: str) -> Iterator[None]:
    """Count one update by kind and outcome (handled or failed) and time it."""
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "handled"
    finally:
        UPDATES.labels(kind=kind, outcome=outcome).inc()
        UPDATE_SECONDS.labels(kind=kind).observe(time.perf_counter() - started)


def count_job(job: str, outcome: str, seconds: float) -> None:
    """One run of a scheduled job (ok or failed) and how long it took."""
    JOB_RUNS.labels(job_name=job, outcome=outcome).inc()
    JOB_SECONDS.labels(job_name=job).observe(seconds)


def count_send(outcome: str) -> None:
    """One send attempt's outcome: delivered, flood (a 429), blocked, rejected or failed."""
    SENDS.labels(outcome=outcome).inc()
    if outcome == "flood":
        RATE_LIMITED.inc()


async def refresh(bot: GridcareBot) -> None:
    """Set the gauges read from the database."""
    runtime = bot.runtime
    now = runtime.clock.now()
    state = await runtime.db.run(health, now=now, ack_timeout=runtime.policy.alert_ack_timeout)
    queue = state.outbox
    for status in OUTBOX_STATUSES:
        OUTBOX.labels(status=status).set(getattr(queue, status))
    OUTBOX_OLDEST.set(0 if queue.oldest_pending is None else queue.oldest_pending.total_seconds())
    for job, finished in state.last_success.items():
        JOB_LAST_SUCCESS.labels(job_name=job).set(finished.timestamp())
    ALERTS_OPEN.set(state.alerts.open)
    ALERTS_LATE.set(state.alerts.past_deadline)
    ALERTS_UNROUTED.set(state.alerts.unrouted)
    DB_QUEUE.set(runtime.db.queued())


def _authorized(request: web.Request, token: str | None) -> bool:
    if token is None:
        return True
    given = request.headers.get("Authorization", "")
    return compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_handler(bot: GridcareBot, token: str | None) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def metrics(request: web.Request) -> web.Response:
        if not _authorized(request, token):
            return web.Response(status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"})
        await refresh(bot)
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics


def add_metrics_route(app: web.Application, bot: GridcareBot) -> None:
    """`/metrics` on the webhook server, behind the bearer token; without a token, not served."""
    token = bot.runtime.settings.metrics_token
    if token is not None:
        app.router.add_get("/metrics", metrics_handler(bot, token.get_secret_value()))


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_listen(settings: Settings) -> tuple[str, int] | None:
    """Where the metrics server listens (None: no server of its own); refuses an open port without a token."""
    if not settings.metrics_listen:
        return None
    host, _, port = settings.metrics_listen.rpartition(":")
    host = host or "127.0.0.1"
    if not is_loopback(host) and settings.metrics_token is None:
        raise ConfigError(
            f"GRIDCARE_METRICS_LISTEN={settings.metrics_listen} is reachable from other machines: "
            "set GRIDCARE_METRICS_TOKEN too, or listen on 127.0.0.1"
        )
    return host, int(port)


class MetricsServer:
    """`/metrics` alone on its own port (polling mode, or beside the webhook server)."""

    def __init__(self, bot: GridcareBot) -> None:
        token = bot.runtime.settings.metrics_token
        app = web.Application()
        secret = None if token is None else token.get_secret_value()
        app.router.add_get("/metrics", metrics_handler(bot, secret))
        self.runner = web.AppRunner(app, access_log=None)
        self._site: web.TCPSite | None = None

    async def start(self, host: str, port: int) -> None:
        await self.runner.setup()
        self._site = web.TCPSite(self.runner, host, port)
        await self._site.start()

    @property
    def port(self) -> int:
        assert self._site is not None, "not started"
        return self._site.port  # the port bound once started (the one the OS picked for port 0)

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_metrics(bot: GridcareBot) -> MetricsServer | None:
    """The metrics server of GRIDCARE_METRICS_LISTEN, started; None when that is unset."""
    where = metrics_listen(bot.runtime.settings)
    if where is None:
        return None
    server = MetricsServer(bot)
    await server.start(*where)
    return server

"""/metrics after real traffic (issue 18): a user's message through the real client and the local
Bot API server, queued messages sent (one after a 429, two to a chat that blocked the bot), a
scheduled job run; the scrape shows each counter moved, the database gauges, and no personal data."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import REGISTRY, generate_latest
from pydantic import SecretStr

from bot.app import Runtime, build_bot, make_transport
from bot.config import ConfigError, Settings
from bot.db import Database
from bot.jobs import Job, every
from bot.metrics import MetricsServer, metrics_listen
from bot.telegram_api import Fault
from bot.webhook import WebhookServer, webhook_app
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.services.health import last_successes
from tests.e2e.harness import local_api, start_bot
from tests.factories import TEST_KEYS
from tests.ops.metrics_text import value
from tests.support.outbox import FAST, queue, rows, until

TOKEN = "metrics-test-token"
USER = 7700001
SENT_TO, BLOCKED = 7700101, 7700102


def _probe(_ctx) -> int:  # type: ignore[no-untyped-def]
    return 3


PROBE = Job("probe", every(timedelta(minutes=1)), _probe)


async def _scrape(port: int, token: str | None) -> tuple[int, str]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.text()


async def test_the_counters_move_with_real_traffic(db, db_url, now):
    queue(db, [SENT_TO], now=now, per_chat=2)
    queue(db, [BLOCKED], now=now, prefix="b")
    before = generate_latest(REGISTRY).decode()  # this process's counters, before any traffic
    async with local_api() as api:
        api.inject_fault("sendMessage", Fault.flood(1, chat_id=SENT_TO))
        api.block(BLOCKED, notify=False)
        running = await start_bot(
            db_url, api, "aiogram", FrozenClock(now), jobs=[PROBE], sender_settings=FAST
        )
        bot = running.bot
        bot.runtime.settings = bot.runtime.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
        server = MetricsServer(bot)
        await server.start("127.0.0.1", 0)
        try:
            update = api.user_sends(USER, "/start")
            await running.wait_handled(update["update_id"])
            await until(lambda: all(r.status in ("sent", "dead") for r in rows(db).values()), what="settled")
            await until(lambda: "probe" in db.call(last_successes), what="the job's run")
            status, after = await _scrape(server.port, TOKEN)
            refused, _ = await _scrape(server.port, "wrong")
        finally:
            await server.close()
            await running.stop()
            await bot.close()
    assert status == 200 and refused == 401

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("gridcare_updates_total", kind="message", outcome="handled") == 1
    assert moved("gridcare_update_seconds_count", kind="message") == 1
    assert moved("gridcare_sends_total", outcome="delivered") >= 2
    assert moved("gridcare_sends_total", outcome="flood") == 1
    assert moved("gridcare_rate_limited_total") == 1
    assert moved("gridcare_dead_letters_total") == 1
    assert moved("gridcare_job_runs_total", job_name="probe", outcome="ok") == 1
    assert moved("gridcare_job_seconds_count", job_name="probe") == 1
    assert value(after, "gridcare_job_last_success_timestamp_seconds", job_name="probe") == now.timestamp()
    assert value(after, "gridcare_outbox_messages", status="dead") == 1
    assert value(after, "gridcare_outbox_messages", status="queued") == 0
    assert value(after, "gridcare_outbox_oldest_queued_seconds") == 0
    assert value(after, "gridcare_alerts_open") == 0
    for personal in (str(USER), str(SENT_TO), str(BLOCKED), "m-", TOKEN):
        assert personal not in after, f"{personal} must not appear on /metrics"


@pytest.fixture
def bot_settings(sqlite_template: Path, tmp_path: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "gridcare.db")
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'gridcare.db'}",
        bot_token="123456:metrics-token",
        api_url="http://127.0.0.1:9",  # never called
        secret_key=TEST_KEYS,
    )


async def _webhook_metrics(settings: Settings, token: str | None) -> int:
    runtime = Runtime(settings=settings, db=Database(settings.database_url), keys=KeyRing.parse(TEST_KEYS))
    bot = build_bot(runtime, make_transport(settings), background=False)
    server = WebhookServer(webhook_app(bot, secret="s"))
    await server.start("127.0.0.1", 0)
    try:
        status, _ = await _scrape(server.port, token)
    finally:
        await server.close()
        await bot.close()
    return status


async def test_the_webhook_port_serves_metrics_only_behind_the_token(bot_settings: Settings):
    assert await _webhook_metrics(bot_settings, None) == 404, "no token configured: no /metrics at all"
    with_token = bot_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    assert await _webhook_metrics(with_token, None) == 401
    assert await _webhook_metrics(with_token, "nope") == 401
    assert await _webhook_metrics(with_token, TOKEN) == 200


def test_a_metrics_port_open_to_other_machines_needs_the_token(bot_settings: Settings):
    assert metrics_listen(bot_settings) is None
    loopback = bot_settings.model_copy(update={"metrics_listen": "127.0.0.1:9464"})
    assert metrics_listen(loopback) == ("127.0.0.1", 9464)
    open_port = bot_settings.model_copy(update={"metrics_listen": "0.0.0.0:9464"})
    with pytest.raises(ConfigError, match="GRIDCARE_METRICS_TOKEN"):
        metrics_listen(open_port)
    guarded = open_port.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    assert metrics_listen(guarded) == ("0.0.0.0", 9464)

"""`gridcare run` without --webhook (long polling) serves the Mini App on GRIDCARE_MINIAPP_LISTEN
for as long as it polls; with --webhook the webhook server carries it (bot/cli/serve.py)."""

from __future__ import annotations

import socket

import aiohttp

from bot.app import Runtime, build_bot, make_transport
from bot.cli.serve import polling_with_miniapp
from bot.db import Database
from bot.miniapp.server import MiniApp, mount_miniapp
from bot.webhook import WebhookServer, webhook_app
from models.clock import FrozenClock
from models.crypto import KeyRing
from tests.e2e.harness import local_api, settings_for
from tests.factories import TEST_KEYS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_while_polling_the_mini_app_answers_on_its_own_port(db_url, now):
    port = _free_port()
    async with local_api() as api:
        settings = settings_for(db_url, api, "aiogram").model_copy(
            update={"miniapp_listen": f"127.0.0.1:{port}"}
        )
        runtime = Runtime(
            settings=settings, db=Database(db_url), keys=KeyRing.parse(TEST_KEYS), clock=FrozenClock(now)
        )
        bot = build_bot(runtime, make_transport(settings), background=False)
        seen = {}

        async def polling() -> None:  # instead of getUpdates: look at the page meanwhile
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/app/") as page:
                seen["status"], seen["page"] = page.status, await page.text()

        bot.run_polling = polling  # type: ignore[method-assign]
        try:
            await polling_with_miniapp(bot, settings)
        finally:
            await bot.close()
    assert seen["status"] == 200 and "static/app.js" in seen["page"]


async def test_the_webhook_server_carries_the_mini_app_beside_the_webhook(db_url, now):
    async with local_api() as api:
        settings = settings_for(db_url, api, "ptb")
        runtime = Runtime(
            settings=settings, db=Database(db_url), keys=KeyRing.parse(TEST_KEYS), clock=FrozenClock(now)
        )
        bot = build_bot(runtime, make_transport(settings), background=False)
        app = webhook_app(bot, secret="s3cret")
        mount_miniapp(app, MiniApp.of(bot))  # as `gridcare run --webhook` does
        server = WebhookServer(app)
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{server.port}/app/") as page:
                    assert page.status == 200 and page.headers["Server"] == "gridcare"
                async with http.get(f"http://127.0.0.1:{server.port}/healthz") as health:
                    assert health.status == 200
        finally:
            await server.close()
            await bot.close()

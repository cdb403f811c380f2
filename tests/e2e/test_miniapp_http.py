"""The Mini App over HTTP: nothing is read without a valid initData, the page and its own files are
served under a strict content policy (and nothing else is), an export downloads as a workbook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.miniapp.server import INIT_HEADER, miniapp_app
from bot.webhook import WebhookServer
from handlers.miniapp.initdata import sign_init_data
from tests.integration.digest_city import NOW
from tests.support.miniapp import city_with_accounts, mini_app

TOKEN = "100000:miniapp-http"  # a test token
SUPERVISOR = 7301


@pytest.fixture
async def base(db, keys) -> AsyncIterator[str]:
    with db.unit_of_work() as s:
        city_with_accounts(s, keys, {"S-COM": SUPERVISOR})
    server = WebhookServer(miniapp_app(mini_app(db, TOKEN)))
    await server.start("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.port}/app"
    finally:
        await server.close()


def signed() -> dict[str, str]:
    return {INIT_HEADER: sign_init_data(TOKEN, SUPERVISOR, auth_date=NOW - timedelta(minutes=1))}


async def test_an_api_request_without_init_data_is_unauthorized(base):
    async with aiohttp.ClientSession() as http, http.post(f"{base}/api/node", json={}) as response:
        assert response.status == 401 and await response.json() == {"error": "unauthorized"}


async def test_the_page_and_its_own_files_are_served_under_a_strict_policy_and_nothing_else(base):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as page:
            policy = page.headers["Content-Security-Policy"]
            assert page.status == 200 and "default-src 'none'" in policy
            assert "script-src 'self' https://telegram.org;" in policy and "connect-src 'self'" in policy
        async with http.get(f"{base}/static/cjk.otf") as font:
            assert font.status == 200 and font.content_type == "font/otf"
        for path in ("/static/server.py", "/static/..%2Fserver.py", "/static/index.html"):
            async with http.get(base + path) as other:
                assert other.status == 404, path
        async with http.get(base, allow_redirects=False) as bare:
            assert bare.status == 302 and bare.headers["Location"] == "/app/"


async def test_a_body_that_is_not_a_json_object_is_a_bad_request(base):
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/node", data=b"[1]", headers=signed()) as response,
    ):
        assert response.status == 400


async def test_the_export_downloads_as_a_workbook_named_by_area_and_period(base):
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/export", json={"period": "week"}, headers=signed()) as response,
    ):
        assert response.status == 200
        assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "gridcare-T-COM-week-2026-03-04.xlsx" in response.headers["Content-Disposition"]
        assert (await response.read())[:2] == b"PK"

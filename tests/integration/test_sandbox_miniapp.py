"""The sandbox serves the Mini App: `:app` gives a local address whose initData is correctly signed
for the persona, so the supervisor's page opens in any browser and a grid worker's is refused."""

from __future__ import annotations

import tempfile
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.config import Settings
from bot.miniapp.server import INIT_HEADER
from bot.sandbox import start_sandbox


@pytest.fixture
def sandbox_settings(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return Settings(clock_start=datetime.fromisoformat("2026-03-10T10:01:00+08:00"), _env_file=None)


async def test_app_gives_each_persona_a_signed_address_that_the_page_accepts_for_staff_only(
    sandbox_settings, tmp_path
):
    sandbox = await start_sandbox(sandbox_settings, persons=20, files_dir=tmp_path / "files")
    try:
        answers = {}
        async with aiohttp.ClientSession() as http:
            for persona in ("supervisor", "worker"):
                url = urlsplit(sandbox.app_url(persona))
                init_data = parse_qs(url.fragment)["tgWebAppData"][0]
                api = f"{url.scheme}://{url.netloc}{url.path}api/me"
                async with http.post(api, json={}, headers={INIT_HEADER: init_data}) as response:
                    answers[persona] = (response.status, await response.json())
                async with http.get(f"{url.scheme}://{url.netloc}{url.path}") as page:
                    assert page.status == 200 and "static/app.js" in await page.text()
    finally:
        await sandbox.close()
    status, body = answers["supervisor"]
    assert status == 200 and body["role"] == "supervisor" and body["area"]["level"] == "city"
    assert answers["worker"][0] == 403

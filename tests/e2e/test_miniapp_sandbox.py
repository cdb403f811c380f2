"""The issue's "done": in the sandbox, the supervisor opens the Mini App from `:app`'s address in a
browser (Telegram's script unreachable, as on a closed network), drills from the city to a grid,
samples and reviews five reports, and the page's figures are the digest's. The grid worker's
address opens nothing."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.sandbox import USER_IDS, start_sandbox
from models.casework import Review
from models.people import Worker
from models.services.digest.scope import area_in_scope
from models.services.digest.summary import Period, PeriodKind, build_digest
from models.services.identity import resolve

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (see .ci/run)")


@pytest.fixture
async def sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = Settings(clock_start=datetime.fromisoformat("2026-03-10T10:01:00+08:00"), _env_file=None)
    running = await start_sandbox(settings, persons=40, files_dir=tmp_path / "files")
    yield running
    await running.close()


def _digest(session, user_id: int, *, now, policy):  # type: ignore[no-untyped-def]
    area = area_in_scope(session, resolve(session, user_id), now=now)
    return build_digest(
        session, area, Period.of(PeriodKind.day, policy.local_date(now)), policy=policy, now=now
    )


def _reviews_by(session, user_id: int) -> int:  # type: ignore[no-untyped-def]
    reviewer = select(Worker.id).where(Worker.telegram_user_id == user_id).scalar_subquery()
    return session.scalar(select(func.count()).where(Review.reviewer_id == reviewer))


async def test_a_supervisor_drills_to_a_grid_and_reviews_a_sample_of_five(sandbox, tmp_path):
    from playwright.async_api import async_playwright

    runtime = sandbox.bot.runtime
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        page.set_default_timeout(15_000)
        await page.route("https://telegram.org/**", lambda route: route.abort())
        await page.goto(sandbox.app_url("supervisor"))
        await page.wait_for_selector("#tiles")
        city = await page.inner_text("#title")
        digest = await runtime.db.run(
            _digest, USER_IDS["supervisor"], now=runtime.clock.now(), policy=runtime.policy
        )
        tiles = await page.inner_text("#tiles")
        assert f"{digest.people.total}\n在册人员" in tiles and f"{digest.filed.positive}\n检测阳性" in tiles
        obligations = await page.inner_text("#obligations")
        assert (
            f"见面\n{digest.meetings.done}\n{digest.meetings.due}\n{digest.meetings.overdue}" in obligations
        )
        for _level in range(4):  # city → district → street → community → grid
            if await page.locator("#bars .row[data-kind=worker]").count():
                break
            title = await page.inner_text("#title")
            await page.locator("#bars .row[data-kind=area]").first.click()
            await page.wait_for_function(
                "(t) => document.getElementById('title').textContent !== t", arg=title
            )
            await page.wait_for_selector("#bars")
        assert await page.locator("#bars .row[data-kind=worker]").count()
        while await page.is_visible("#back"):
            await page.click("#back")
            await page.wait_for_selector("#tiles")
        assert await page.inner_text("#title") == city
        await page.click("#open-queue")
        await page.fill("#q-sample", "5")
        await page.click("#q-apply")
        await page.wait_for_selector("#q-count")
        reports = page.locator("#queue .report")
        assert await reports.count() >= 5
        for n in range(5):
            await reports.nth(n).locator("button.ok").click()
            await reports.nth(n).locator(".saved", has_text="已保存").wait_for()
        await page.screenshot(path=tmp_path / "sandbox-queue.png")
        assert await runtime.db.run(_reviews_by, USER_IDS["supervisor"]) == 5
        await page.goto("about:blank")  # the worker's address differs only in its fragment: load anew
        await page.goto(sandbox.app_url("worker"))
        await page.wait_for_selector(".err")
        await browser.close()

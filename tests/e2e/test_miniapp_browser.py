"""The Mini App in a real browser: Debian's headless chromium driven by Playwright, against the
bot's own Mini App server on a small city (SQLite), with a stub `Telegram.WebApp` in place of
Telegram's script. One browser and one page for the module; screenshots go to the test's tmp dir."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.miniapp.server import MiniApp, miniapp_app
from bot.webhook import WebhookServer
from handlers.miniapp.initdata import sign_init_data
from models.casework import Review
from models.crypto import KeyRing
from tests.factories import TEST_KEYS
from tests.integration.digest_city import NOW
from tests.support.miniapp import city_with_accounts, mini_app

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (see .ci/run)")
TOKEN = "100000:miniapp-test"  # a test token
USERS = {"S-CITY": 7101, "S-CTY2": 7102, "WA": 7103}
PHONE = {"width": 390, "height": 844}
THEMES = {
    "light": {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579",
              "button_color": "#2481cc", "button_text_color": "#ffffff", "secondary_bg_color": "#f1f1f4"},
    "dark": {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499",
             "button_color": "#5288c1", "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c"},
}  # fmt: skip


STUB_METHODS = (
    "Object.assign(Telegram.WebApp, {ready(){}, expand(){}, BackButton: {show(){}, hide(){}, onClick(){}}});"
)


class Served:
    """The Mini App server on its own event loop in a thread, for the synchronous browser."""

    def __init__(self, mini: MiniApp) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = WebhookServer(miniapp_app(mini))
        asyncio.run_coroutine_threadsafe(self.server.start("127.0.0.1", 0), self.loop).result(10)
        self.url = f"http://127.0.0.1:{self.server.port}/app/"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def city_db(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, object]]:
    path = tmp_path_factory.mktemp("miniapp") / "gridcare.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work() as s:
        city = city_with_accounts(s, KeyRing.parse(TEST_KEYS), USERS)
    yield db, city
    db.dispose()


@pytest.fixture(scope="module")
def served(city_db) -> Iterator[Served]:
    db, _city = city_db
    app = Served(mini_app(db, TOKEN))
    yield app
    app.close()


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport=PHONE, device_scale_factor=2)
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


def open_app(page, served: Served, init_data: str, theme: str = "light") -> None:
    """Open the page as Telegram would, with a stub of telegram-web-app.js carrying the initData."""
    web_app = {"initData": init_data, "themeParams": THEMES[theme], "colorScheme": theme}
    stub = f"window.Telegram = {{WebApp: {json.dumps(web_app)}}};" + STUB_METHODS
    page.unroute("**/*")
    page.route(
        "https://telegram.org/**", lambda route: route.fulfill(body=stub, content_type="text/javascript")
    )
    page.goto(served.url)


def signed(code: str, *, age: timedelta = timedelta(minutes=1), token: str = TOKEN) -> str:
    return sign_init_data(token, USERS[code], auth_date=NOW - age)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_dashboard_renders_at_phone_width_in_both_themes(page, served, theme, tmp_path):
    open_app(page, served, signed("S-CITY"), theme)
    page.wait_for_selector("#tiles")
    assert page.inner_text("#title") == "测试市"
    assert "在册人员" in page.inner_text("#tiles") and page.locator("#bars .row").count() == 2
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if theme == "light" else "rgb(23, 33, 43)")
    loaded = page.evaluate("async () => (await document.fonts.load('16px GridcareCJK', '辖区')).length")
    assert loaded == 1  # the CJK font the page serves itself: no boxes where Chinese should be
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=tmp_path / f"dashboard-{theme}.png", full_page=True)


@pytest.mark.parametrize(
    "init_data",
    [
        pytest.param(signed("S-CITY", token="999:another-bot"), id="forged"),
        pytest.param(signed("S-CITY", age=timedelta(hours=2)), id="expired"),
        pytest.param(signed("WA"), id="grid-worker"),
    ],
)
def test_a_forged_an_expired_or_a_grid_workers_init_data_is_refused(page, served, init_data):
    open_app(page, served, init_data)
    page.wait_for_selector(".err")
    assert page.locator("#tiles").count() == 0


def test_another_supervisor_cannot_open_a_node_or_person_of_area_a_by_editing_a_request(
    page, served, city_db
):
    _db, city = city_db
    open_app(page, served, signed("S-CTY2"))
    page.wait_for_selector("#tiles")
    assert page.inner_text("#title") == "另一县"
    statuses = page.evaluate(
        """async (ids) => Promise.all(ids.map(async ([endpoint, body]) => (await fetch("api/" + endpoint, {
            method: "POST", body: JSON.stringify(body),
            headers: {"X-Telegram-Init-Data": Telegram.WebApp.initData}})).status))""",
        [["node", {"area": city.areas["COM"].id}], ["person", {"person": city.persons["TP01"].id}],
         ["node", {"area": city.areas["G3"].id}]],
    )  # fmt: skip
    assert statuses == [403, 403, 200]


def test_a_supervisor_drills_from_the_city_to_a_grid_and_a_person(page, served):
    open_app(page, served, signed("S-CITY"))
    for name in ("测试县", "测试镇", "测试社区", "第一网格"):
        page.locator("#bars .row", has_text=name).click()
        page.wait_for_function("(name) => document.getElementById('title').textContent === name", arg=name)
    page.locator("#bars .row[data-kind=worker]").first.click()
    page.wait_for_selector("#view .row.tap")
    page.click("#worker-queue")  # the worker's reports awaiting review, then back to their list
    page.wait_for_selector("#q-count")
    authors = {text.split(" · ")[1] for text in page.locator(".report .hint").all_inner_texts()}
    assert authors == {"WA"}
    page.click("#back")
    page.wait_for_selector("#view .row.tap")
    page.locator("#view .row.tap").first.click()
    page.wait_for_selector("#person")
    assert page.inner_text("#title").startswith("TP")


def test_marking_a_report_correct_in_the_page_saves_it_once(page, served, city_db):
    db, _city = city_db
    open_app(page, served, signed("S-CITY"))
    page.click("#open-queue")
    report = page.locator("#queue .report").first
    record_id = int(report.get_attribute("data-record"))
    report.locator("button.ok").dblclick()
    report.locator(".saved", has_text="已保存").wait_for()
    with db.unit_of_work() as s:
        assert len(s.scalars(select(Review).where(Review.record_id == record_id)).all()) == 1


def test_inside_telegram_the_export_button_sends_the_workbook_to_the_chat(page, served):
    open_app(page, served, signed("S-CITY"))
    page.click("#export")
    page.locator("#export", has_text="报表已发送到聊天").wait_for()

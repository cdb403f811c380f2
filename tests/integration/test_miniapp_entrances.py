"""Where the Mini App is served (GRIDCARE_MINIAPP_URL), a supervisor's chat gets a menu button
opening it and the digest a button under it; a grid worker's chat gets neither."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from handlers.core import Core
from handlers.events import Send, SetCommands
from handlers.render import Renderer
from handlers.setup import build_router
from models.audit import Actor
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.services.directory.invites import invite_worker
from tests.factories import TEST_KEYS
from tests.integration.digest_city import NOW, TEST_POLICY, build_city
from tests.support.chat import CoreChat

URL = "https://gridcare.example/app/"


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


async def _linked(db, code: str, user_id: int) -> tuple[CoreChat, list]:
    core = Core(
        router=build_router(),
        renderer=Renderer(ZoneInfo("Asia/Shanghai")),
        clock=FrozenClock(NOW),
        run_unit=db.run,
        policy=replace(TEST_POLICY, miniapp_url=URL),
        keys=KeyRing.parse(TEST_KEYS),
    )
    invite = db.call(invite_worker, code, actor=Actor.cli(), now=NOW)
    chat = CoreChat(core, user_id)
    return chat, await chat.say(f"/start {invite.code}")


async def test_a_supervisors_chat_menu_button_opens_the_mini_app(db, city):
    _chat, actions = await _linked(db, "S-COM", 7201)
    (menu,) = [a for a in actions if isinstance(a, SetCommands)]
    assert menu.menu_app == ("辖区概览", URL)


async def test_a_grid_workers_chat_gets_no_mini_app_button(db, city):
    _chat, actions = await _linked(db, "WA", 7202)
    (menu,) = [a for a in actions if isinstance(a, SetCommands)]
    assert menu.menu_app is None


async def test_the_digest_has_a_button_that_opens_the_mini_app(db, city):
    chat, _ = await _linked(db, "S-COM", 7203)
    actions = await chat.say("/digest")
    last = [a for a in actions if isinstance(a, Send)][-1]
    assert [b.web_app_url for row in last.buttons for b in row][-1] == URL

"""The Mini App's entrances through both transports: the chat's menu button (setChatMenuButton with
a web app) and an inline button that opens it (a web_app button, not a callback)."""

from __future__ import annotations

import json

import pytest

from bot.app import make_transport
from handlers.events import WEB_APP, Button, Send, SetCommands
from tests.e2e.harness import TRANSPORTS, local_api, settings_for

URL = "https://gridcare.example/app/"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_menu_button_and_a_digest_button_open_the_mini_app(db_url, transport):
    async with local_api() as api, make_transport(settings_for(db_url, api, transport)) as sender:
        await sender.call(SetCommands(41, (("digest", "每日汇总"),), menu_app=("辖区概览", URL)))
        await sender.call(Send(41, "汇总", ((Button("📊 打开辖区概览", WEB_APP + URL),),)))
    (menu,) = api.calls_to("setChatMenuButton")
    button = menu.params["menu_button"]
    button = button if isinstance(button, dict) else json.loads(button)  # as the client sent it
    assert button == {"type": "web_app", "text": "辖区概览", "web_app": {"url": URL}}
    (message,) = api.transcript(41)
    assert message.reply_markup["inline_keyboard"] == [[{"text": "📊 打开辖区概览", "web_app": {"url": URL}}]]

"""The chat core end to end, on both transports: real clients, HTTP, the local Bot API server."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.webhook import SECRET_HEADER, webhook_app
from models.audit import Actor
from models.clock import FrozenClock
from models.people import FamilyMember
from models.records import Record
from models.services.directory.invites import invite_family, invite_worker
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.factories import make_person, make_tree, make_worker

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


def _city(db, keys, now) -> None:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        mine = make_worker(s, tree["G1"], code="W-1")
        other = make_worker(s, tree["G1"], code="W-2")
        make_person(s, tree["G1"], keys=keys, now=now, worker=mine, code="P-MINE")
        make_person(s, tree["G1"], keys=keys, now=now, worker=other, code="P-OTHER")


async def test_worker_and_family_member_onboard_by_invite(db, db_url, keys, now, transport):
    _city(db, keys, now)
    worker_code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    family_code = db.call(invite_family, "P-MINE", "配偶", actor=Actor.cli(), now=now).code
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker, family = User(api, running, 11), User(api, running, 12)
            await worker.say(f"/start {worker_code}")
            assert "绑定成功" in worker.last_text() and "网格员" in worker.last_text()
            assert "my" in api.menu(11)
            await family.say(f"/start {family_code}")
            assert "家属" in family.last_text()
            assert "whoami" in api.menu(12) and "my" not in api.menu(12)
            await family.say(f"/start {family_code}")  # the code works once
            assert "无效" in family.last_text()
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        assert s.scalar(select(FamilyMember.telegram_user_id)) == 12


async def test_unlinked_account_learns_nothing(db, db_url, keys, now, transport):
    _city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            stranger = User(api, running, 66)
            for text in ("/start", "/my", "/note", "/whoami", "P-MINE", "/start bogus-code"):
                await stranger.say(text)
        finally:
            await running.stop()
    everything = stranger.all_text()
    assert "P-MINE" not in everything and "测试对象" not in everything and "测试员" not in everything
    assert everything.count("邀请") >= 5


async def test_forged_button_is_refused_and_saves_nothing(db, db_url, keys, now, transport):
    _city(db, keys, now)
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, 11)
            await worker.say(f"/start {code}")
            transcript = await worker.say("/note")
            prompt = transcript[-1]
            nonce = prompt.buttons[0][1].split(":")[1]
            assert await worker.press_data(prompt.message_id, f"d:{nonce}:0:5") == "该按钮已失效。"
            assert await worker.press_data(prompt.message_id, "lang:xx") == "该按钮已失效。"
            assert await worker.press_data(prompt.message_id, "nosuch:1") == "该按钮已失效。"
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0


async def test_dialog_survives_a_restart_and_a_switch_of_transport(db, db_url, keys, now, transport):
    _city(db, keys, now)
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    clock = FrozenClock(now)
    other = "ptb" if transport == "aiogram" else "aiogram"
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        worker = User(api, running, 11)
        await worker.say(f"/start {code}")
        await worker.say("/note")
        await worker.press("P-MINE")
        await running.stop()  # the process goes away mid-form

        running = await start_bot(db_url, api, other, clock)
        worker.running = running
        try:
            await worker.say("随访记录：情况稳定")
            assert "请确认" in worker.last_text()
            await worker.press("确认")
            assert "已保存" in worker.last_text()
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        assert s.scalars(select(Record.notes)).all() == ["随访记录：情况稳定"]


async def test_webhook_rejects_a_wrong_secret_and_processes_a_redelivery_once(
    db, db_url, keys, now, transport
):
    _city(db, keys, now)
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        await running.stop()  # no polling: updates come by webhook only
        await running.bot.transport.start()  # stopping closed it; the webhook's updates need it open
        app = webhook_app(running.bot, secret="s3cret-value")
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            url = str(server.make_url("/telegram"))
            update = {
                "update_id": 900001,
                "message": {
                    "message_id": 1,
                    "date": 1700000000,
                    "text": f"/start {code}",
                    "chat": {"id": 11, "type": "private"},
                    "from": {"id": 11, "is_bot": False, "first_name": "W"},
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {SECRET_HEADER: "wrong"}):
                    async with http.post(url, json=update, headers=headers) as response:
                        assert response.status == 401
                assert api.transcript(11) == []
                for _ in range(2):  # Telegram redelivers
                    async with http.post(
                        url, json=update, headers={SECRET_HEADER: "s3cret-value"}
                    ) as response:
                        assert response.status == 200
                async with http.get(str(server.make_url("/healthz"))) as response:
                    assert response.status == 200
        finally:
            await server.close()
            await running.bot.transport.close()
    assert len(api.transcript(11)) == 1 and "绑定成功" in api.transcript(11)[0].text

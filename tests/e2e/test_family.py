"""The family channel end to end, on both transports: real clients, HTTP, the local Bot API server.

Direct answers are read from the chat transcripts; messages to other people go through the outbox,
which these tests drain with the real sender, so both sides' chats show what a user would see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.outbox import Sender, SenderSettings
from handlers.context import JobCtx
from handlers.family.staff import escalate_alerts, qr_png
from handlers.render import Renderer
from models.clock import FrozenClock
from models.people import FamilyMember, Person, Worker
from models.policy import Policy
from models.services.directory.entries import set_responsible
from models.services.family.notices import tell_reassignment
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.integration.family_city import (
    ACCOUNTS,
    CADRE,
    FAMILY,
    OTHER_POLICE,
    POLICE,
    SUPERVISOR,
    WORKER,
    build_city,
    family_code,
    outbox,
    worker_code,
)

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)
PNG = qr_png("a photo a family member took")  # any real PNG will do
FAST = SenderSettings(
    per_second=10_000, chat_interval=0.0, backoff=0.01, poll_interval=0.01, send_timeout=2.0
)


async def _drain(db, running, clock) -> None:
    """Send what the outbox holds now, through the running bot's transport (the bot's own background
    sender, when it runs, may take some rows first: `_arrives` waits for those)."""
    await Sender(db, running.bot.transport, clock=clock, policy=Policy(), settings=replace(FAST)).drain()


async def _arrives(api, user_id: int, *fragments: str) -> str:
    """Wait until a bot message in the user's chat holds every fragment; its text."""

    def found() -> str | None:
        for message in reversed(api.transcript(user_id)):
            text = message.text or message.caption or ""
            if all(f in text for f in fragments):
                return text
        return None

    await api.wait_until(lambda: found() is not None, timeout=10, what=f"{fragments} in chat {user_id}")
    return found() or ""


async def _join(db, api, running, now, codes=("W-1",)) -> dict[int, User]:
    """Link the staff accounts named and the family member; returns users by Telegram id."""
    users = {}
    for code in codes:
        users[ACCOUNTS[code]] = User(api, running, ACCOUNTS[code])
        await users[ACCOUNTS[code]].say(f"/start {worker_code(db, code, now)}")
    users[FAMILY] = User(api, running, FAMILY)
    await users[FAMILY].say(f"/start {family_code(db, 'P-MINE', now)}")
    assert "家属" in users[FAMILY].last_text()
    await users[FAMILY].press("同意")  # the privacy notice
    return users


def _escalate(db, now) -> int:
    with db.unit_of_work() as session:
        job = JobCtx(now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=session, policy=Policy())
        return escalate_alerts(job)


def _everything_seen(api, user_id) -> str:
    parts = []
    for message in api.transcript(user_id):
        parts += [message.text or "", message.caption or "", str(message.contact or ""), str(message.buttons)]
    return "\n".join(parts)


async def _sends_media(api, running, user_id: int, kind: str, caption: str | None = None) -> str:
    """The user sends a photo or a voice note from their client; the file_id Telegram gave it."""
    if kind == "photo":
        update = api.user_sends_photo(user_id, PNG, caption=caption)
        file_id = update["message"]["photo"][-1]["file_id"]
    else:
        update = api.user_sends_voice(user_id, b"OggS voice", caption=caption)
        file_id = update["message"]["voice"]["file_id"]
    await running.wait_handled(update["update_id"])
    return file_id


def _media_calls(api, method: str, chat_id: int) -> list[dict]:
    """The parameters of the sendPhoto / sendVoice calls the bot made to one chat."""
    return [c.params for c in api.calls_to(method) if str(c.params.get("chat_id")) == str(chat_id)]


async def _media_arrives(api, method: str, chat_id: int, file_id: str) -> dict:
    """Wait until the bot sent this very file to the chat with `method`; that call's parameters."""
    field = "photo" if method == "sendPhoto" else "voice"

    def sent() -> dict | None:
        return next((p for p in _media_calls(api, method, chat_id) if p.get(field) == file_id), None)

    await api.wait_until(lambda: sent() is not None, timeout=10, what=f"{method} {file_id} to {chat_id}")
    return sent() or {}


async def test_a_family_member_joins_and_gets_the_contact_card_and_contact(db, db_url, keys, now, transport):
    build_city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            users = await _join(db, api, running, now, codes=())
            assert set(api.menu(FAMILY)) >= {"contact", "urgent", "tip", "stop"} and "my" not in api.menu(
                FAMILY
            )
            await users[FAMILY].say("/contact")
            await api.wait_until(lambda: any(m.contact for m in api.transcript(FAMILY)), what="contact")
        finally:
            await running.stop()
    card = next(m for m in api.transcript(FAMILY) if m.text and "工作电话" in m.text)
    assert "0715-8123456" in card.text and "幸福路1号" in card.text and "周一至周五" in card.text
    contact = next(m.contact for m in api.transcript(FAMILY) if m.contact)
    assert contact["phone_number"] == "0715-8123456" and contact["first_name"].startswith("测试员")
    assert str(WORKER) not in str(contact)


async def test_a_message_is_relayed_both_ways_without_any_account_id_leaking(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now)
            worker, family = users[WORKER], users[FAMILY]
            await family.say("孩子最近情绪不太好，想请您来看看")
            assert "已转达" in family.last_text()
            await _drain(db, running, clock)
            await _arrives(api, WORKER, "情绪不太好", "母亲")
            await worker.press("回复")
            await worker.say("好的，我明天上午去家里看看。")
            await worker.press("确认")
            assert "已转达" in worker.last_text()
            await _drain(db, running, clock)
            await _arrives(api, FAMILY, "明天上午去家里")
        finally:
            await running.stop()
    assert str(FAMILY) not in _everything_seen(api, WORKER)
    assert str(WORKER) not in _everything_seen(api, FAMILY)
    for row in outbox(db):
        other = FAMILY if row.chat_id == WORKER else WORKER
        assert str(other) not in str(row.payload)


async def test_photos_and_voice_are_relayed_as_media_both_ways_without_any_account_id(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now)
            worker = users[WORKER]
            photo = await _sends_media(api, running, FAMILY, "photo", caption="他藏在床下的药瓶")
            voice = await _sends_media(api, running, FAMILY, "voice")
            await _drain(db, running, clock)
            to_worker = [
                await _media_arrives(api, "sendPhoto", WORKER, photo),
                await _media_arrives(api, "sendVoice", WORKER, voice),
            ]
            await worker.press("回复")
            answer = await _sends_media(api, running, WORKER, "photo")
            await worker.press("确认")
            await _drain(db, running, clock)
            to_family = await _media_arrives(api, "sendPhoto", FAMILY, answer)
        finally:
            await running.stop()
    assert "母亲" in to_worker[0]["caption"] and "床下的药瓶" in to_worker[0]["caption"]
    assert "母亲" in to_worker[1]["caption"]
    assert "回复" in to_family["caption"]
    for params in to_worker:
        assert str(FAMILY) not in params["caption"] and "User8200001" not in params["caption"]
    assert str(WORKER) not in to_family["caption"] and "User7100001" not in to_family["caption"]
    received = [m for m in api.transcript(WORKER) if m.photo or m.voice]
    assert {m.photo.file_id for m in received if m.photo} == {photo}
    assert {m.voice.file_id for m in received if m.voice} == {voice}
    assert [m.photo.file_id for m in api.transcript(FAMILY) if m.photo] == [answer]


async def test_an_urgent_alert_reaches_three_staff_and_the_first_to_take_it_is_recorded(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    clock = FrozenClock(now + timedelta(hours=15))  # 01:00 at night in Shanghai: urgent goes anyway
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now, codes=("W-1", "W-CADRE", "W-POLICE"))
            family = users[FAMILY]
            await family.say("/urgent")
            await family.say("他又和以前的毒友见面了")
            await family.press("确认")
            assert "已通知 3 位工作人员" in family.last_text()
            await _drain(db, running, clock)
            for staff in (WORKER, CADRE, POLICE):
                await _arrives(api, staff, "紧急情况", "毒友")
            assert await users[POLICE].press("我来处理") == "已由您接手。"
            assert "社区民警" in await users[CADRE].press("我来处理")
            await _drain(db, running, clock)
            await _arrives(api, FAMILY, "已接手", "社区民警")
            await _arrives(api, WORKER, "已由社区民警")
        finally:
            await running.stop()


async def test_a_reply_through_inbox_answers_an_urgent_alert_and_the_family_is_told_who_took_it(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now, codes=("W-1", "W-CADRE"))
            family, worker = users[FAMILY], users[WORKER]
            await family.say("/urgent")
            await family.say("他又和以前的毒友见面了")
            await family.press("确认")
            assert "有人接手后会在这里告诉您" in family.last_text()
            await worker.say("/inbox")
            await worker.press("回复")
            await worker.say("我马上过来。")
            await worker.press("确认")
            await _drain(db, running, clock)
            await _arrives(api, FAMILY, "我马上过来")
            await _arrives(api, FAMILY, "已接手", "网格员")
            await _arrives(api, CADRE, "已由网格员")
            assert _escalate(db, now + timedelta(hours=1)) == 0
        finally:
            await running.stop()


async def test_an_alert_nobody_takes_escalates_to_the_supervisor_after_the_timeout(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now, codes=("W-1", "W-SUP"))
            family, supervisor = users[FAMILY], users[SUPERVISOR]
            await family.say("/urgent")
            await family.press("跳过")
            await family.press("确认")
            assert _escalate(db, now + timedelta(minutes=29)) == 0
            clock.advance(timedelta(minutes=30))
            assert _escalate(db, clock.now()) == 1
            await _drain(db, running, clock)
            await _arrives(api, SUPERVISOR, "无人接手", "30 分钟")
            assert await supervisor.press("我来处理") == "已由您接手。"
            await _drain(db, running, clock)
            await _arrives(api, FAMILY, "已接手")
        finally:
            await running.stop()


async def test_an_anonymous_tip_reaches_the_police_role_only(db, db_url, keys, now, transport):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now, codes=("W-1", "W-CADRE", "W-POLICE", "W-POLICE-2"))
            family = users[FAMILY]
            await family.say("/tip")
            await family.say("幸福路3号楼有人深夜交易")
            photo = await _sends_media(api, running, FAMILY, "photo")
            await family.press("确认")
            assert "匿名" in family.last_text()
            await _drain(db, running, clock)
            await _arrives(api, POLICE, "深夜交易")
            evidence = await _media_arrives(api, "sendPhoto", POLICE, photo)
        finally:
            await running.stop()
    assert str(FAMILY) not in evidence["caption"] and "母亲" not in evidence["caption"]
    for staff in (WORKER, CADRE, OTHER_POLICE):
        assert _media_calls(api, "sendPhoto", staff) == []
    for staff in (WORKER, CADRE, OTHER_POLICE):
        assert "深夜交易" not in _everything_seen(api, staff)
    assert str(FAMILY) not in _everything_seen(api, POLICE) and "母亲" not in _everything_seen(api, POLICE)


async def test_reassignment_updates_the_family_card(db, db_url, keys, now, transport):
    city = build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now, codes=())
            with db.unit_of_work() as s:
                new = s.get(Worker, city.worker_ids["W-2"])
                set_responsible(s, s.get(Person, city.person_id), new)
                name = new.name
                job = JobCtx(
                    now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=s, policy=Policy()
                )
                assert tell_reassignment(s, job, city.person_id, city.worker_ids["W-1"], new.id, now=now) == 1
            await _drain(db, running, clock)
            await _arrives(api, FAMILY, "已更换", name)
            await users[FAMILY].say("/contact")
            await api.wait_until(
                lambda: sum(1 for m in api.transcript(FAMILY) if m.contact) >= 2, what="card"
            )
        finally:
            await running.stop()
    card = [m for m in api.transcript(FAMILY) if m.text and "工作电话" in m.text][-1]
    assert name in card.text


async def test_every_forbidden_action_from_a_family_account_is_refused(db, db_url, keys, now, transport):
    city = build_city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            family = (await _join(db, api, running, now, codes=()))[FAMILY]
            for command in ("/my", "/note", "/inbox", "/history P-MINE", "/today", "/digest", "/export week"):
                await family.say(command)
                assert family.last_text() in (
                    "您没有权限进行此操作。",
                    "没有这个命令。发送 /help 查看可用命令。",
                )
            anchor = api.transcript(FAMILY)[-1].message_id
            for data in (
                f"p:{city.person_id}",
                f"p:{city.other_person_id}",
                f"ft:{city.person_id}",
                f"fi:{city.person_id}:0",
                "fr:1",
                "ack:1",
                "tp:1",
                "cp:1:ok",
                "d:1:0:0",
            ):
                toast = await family.press_data(anchor, data)
                assert toast in ("您没有权限进行此操作。", "该按钮已失效。"), (data, toast)
        finally:
            await running.stop()
    seen = _everything_seen(api, FAMILY)
    assert "P-MINE" not in seen and "P-OTHER" not in seen and "蓝色" not in seen and "测试对象" not in seen


async def test_a_family_member_reads_the_privacy_notice_and_agrees_before_the_channel_opens(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            family = User(api, running, FAMILY)
            await family.say(f"/start {family_code(db, 'P-MINE', now)}")
            assert "隐私告知" in family.last_text() and "/stop" in family.last_text()
            await family.say("/contact")  # not yet agreed: the notice again, no card
            assert "隐私告知" in family.last_text()
            await family.press("同意")
            await family.say("/contact")
            await api.wait_until(lambda: any(m.contact for m in api.transcript(FAMILY)), what="contact")
        finally:
            await running.stop()
    assert sum(1 for m in api.transcript(FAMILY) if m.text and "工作电话" in m.text) == 1
    assert any("已记录您的同意" in (m.text or "") for m in api.transcript(FAMILY))
    with db.unit_of_work() as s:
        assert (
            s.scalar(select(FamilyMember.consented_at).where(FamilyMember.telegram_user_id == FAMILY)) == now
        )

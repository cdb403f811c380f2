"""The family channel through the neutral core: contact card, relayed messages both ways, leaving."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from sqlalchemy import select

from handlers.events import Incoming, InKind, SendContact, SendPhoto, SendVoice
from handlers.render import masked
from models.clock import FrozenClock
from models.family import Direction, FamilyMessage
from models.people import FamilyMember, Worker
from models.policy import Policy
from models.services.outbox.queue import from_payload
from tests.integration.family_city import (
    FAMILY,
    OTHER_WORKER,
    WORKER,
    build_city,
    family_code,
    outbox,
    person_name,
    worker_code,
)
from tests.support.chat import BOT_ID, CoreChat, build_core

_media_ids = count(990001)


async def _chats(db, keys, now, clock=None):
    city = build_city(db, keys, now)
    core = build_core(db, clock or FrozenClock(now))
    worker, family = CoreChat(core, WORKER), CoreChat(core, FAMILY)
    await worker.say(f"/start {worker_code(db, 'W-1', now)}")
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    return city, worker, family


async def test_contact_gives_the_workers_card_and_a_telegram_contact(db, keys, now):
    _, _, family = await _chats(db, keys, now)
    await family.say("/contact")
    card = family.texts()[0]
    assert "0715-8123456" in card and "周一至周五 9:00-17:00" in card and "幸福路1号" in card
    assert "测试员" in card  # the worker's name
    contacts = [a for a in family.last if isinstance(a, SendContact)]
    assert contacts and contacts[0].phone == "0715-8123456" and contacts[0].first_name.startswith("测试员")


async def test_a_family_message_reaches_the_worker_with_relation_and_the_masked_person_name(db, keys, now):
    city, _, family = await _chats(db, keys, now)
    await family.say("他这几天晚上总是很晚回家")
    assert "已转达" in family.texts()[0]
    relays = outbox(db, "family_relay")
    assert [r.chat_id for r in relays] == [WORKER]
    text = relays[0].payload["text"]
    name = person_name(db, city.person_id)
    assert "母亲" in text and masked(name) in text and "很晚回家" in text
    assert name not in text, "a lock-screen preview names nobody"
    assert relays[0].available_at == now
    assert any(data.startswith("fr:") for row in relays[0].payload["buttons"] for _, data in row)


async def test_a_message_outside_office_hours_waits_for_the_workers_morning(db, keys, now):
    evening = now + timedelta(hours=12)  # Wednesday 22:00 in Shanghai
    _, _, family = await _chats(db, keys, now, FrozenClock(evening))
    await family.say("明天能来家里一趟吗")
    assert "非办公时间" in family.texts()[0]
    relay = outbox(db, "family_relay")[0]
    assert relay.available_at == now + timedelta(hours=23)  # Thursday 09:00 in Shanghai
    assert relay.urgent is False


async def test_the_worker_replies_and_the_answer_goes_back_without_any_account_id(db, keys, now):
    _, worker, family = await _chats(db, keys, now)
    await family.say("请问下次尿检是什么时候？")
    reply_button = next(d for row in outbox(db, "family_relay")[0].payload["buttons"] for _, d in row)
    await worker.press(reply_button)
    assert "请输入回复内容" in worker.texts()[0]
    await worker.say("下周一上午九点，在社区工作站。")
    await worker.press(worker.button("确认"))
    assert "已转达" in worker.texts()[0]
    answers = outbox(db, "family_reply")
    assert [a.chat_id for a in answers] == [FAMILY] and "下周一上午九点" in answers[0].payload["text"]
    everything = " ".join(str(row.payload) for row in outbox(db))
    assert str(FAMILY) not in everything.replace(f"'chat_id': {FAMILY}", "")
    assert str(WORKER) not in everything
    with db.unit_of_work() as s:
        question = s.scalars(
            select(FamilyMessage).where(FamilyMessage.direction == Direction.from_family)
        ).one()
        assert question.answered_at == now and question.answered_by is not None


async def test_a_worker_cannot_reply_to_another_workers_family(db, keys, now):
    _, _, family = await _chats(db, keys, now)
    await family.say("你好")
    button = next(d for row in outbox(db, "family_relay")[0].payload["buttons"] for _, d in row)
    other = CoreChat(family.core, OTHER_WORKER)
    await other.say(f"/start {worker_code(db, 'W-2', now)}")
    await other.press(button)
    assert other.toast() == "您没有权限进行此操作。"
    assert "你好" not in " ".join(other.texts())


def _media(user: int, *, photo: str | None = None, voice: str | None = None, text: str | None = None):
    """A photo or voice message as a transport delivers it (caption in `text`)."""
    return Incoming(
        BOT_ID,
        next(_media_ids),
        InKind.message,
        user,
        user,
        text=text,
        photo_file_id=photo,
        voice_file_id=voice,
    )


async def test_a_family_photo_reaches_the_worker_as_the_photo_itself_with_a_caption(db, keys, now):
    city, _, family = await _chats(db, keys, now)
    await family.core.handle(_media(FAMILY, photo="PHOTO-1", text="看看这个"))
    (relay,) = outbox(db, "family_relay")
    assert relay.chat_id == WORKER and relay.payload["kind"] == "photo"
    assert relay.payload["file_id"] == "PHOTO-1" and "photo_b64" not in relay.payload
    caption = relay.payload["caption"]
    name = person_name(db, city.person_id)
    assert "母亲" in caption and masked(name) in caption and name not in caption and "看看这个" in caption
    assert str(FAMILY) not in str(relay.payload)
    assert any(data.startswith("fr:") for row in relay.payload["buttons"] for _, data in row)
    action = from_payload(WORKER, relay.payload)
    assert isinstance(action, SendPhoto) and (action.file_id, action.data) == ("PHOTO-1", None)
    assert action.caption == caption and action.chat_id == WORKER


async def test_a_family_voice_note_reaches_the_worker_as_a_voice_message(db, keys, now):
    city, _, family = await _chats(db, keys, now)
    family.last = await family.core.handle(_media(FAMILY, voice="VOICE-1"))
    assert "已转达" in family.texts()[0]
    (relay,) = outbox(db, "family_relay")
    assert relay.payload["kind"] == "voice" and relay.payload["file_id"] == "VOICE-1"
    caption = relay.payload["caption"]
    assert "母亲" in caption and masked(person_name(db, city.person_id)) in caption
    action = from_payload(WORKER, relay.payload)
    assert isinstance(action, SendVoice) and action.file_id == "VOICE-1" and action.chat_id == WORKER
    with db.unit_of_work() as s:
        stored = s.scalars(select(FamilyMessage)).one()
        assert (stored.kind, stored.file_id, stored.text) == ("voice", "VOICE-1", None)


async def test_a_long_photo_caption_is_cut_to_fit_telegrams_caption_limit(db, keys, now):
    _, _, family = await _chats(db, keys, now)
    await family.core.handle(_media(FAMILY, photo="PHOTO-2", text="很" * 1500))
    caption = outbox(db, "family_relay")[0].payload["caption"]
    assert len(caption.encode("utf-16-le")) // 2 <= 1024 and caption.count("很") < 1500
    with db.unit_of_work() as s:
        assert s.scalars(select(FamilyMessage.text)).one() == "很" * 1500  # the thread keeps it whole


async def test_an_earlier_photo_is_shown_again_from_the_thread_to_its_worker_only(db, keys, now):
    city, worker, family = await _chats(db, keys, now)
    await family.core.handle(_media(FAMILY, photo="PHOTO-3"))
    await worker.press(f"ft:{city.person_id}")
    await worker.press(worker.button("查看照片"))
    photos = [a for a in worker.last if isinstance(a, SendPhoto)]
    assert photos and photos[0].file_id == "PHOTO-3" and photos[0].chat_id == WORKER


async def test_the_worker_answers_with_a_photo_and_the_family_gets_that_photo(db, keys, now):
    _, worker, family = await _chats(db, keys, now)
    await family.say("药盒找不到了")
    await worker.press(next(d for row in outbox(db, "family_relay")[0].payload["buttons"] for _, d in row))
    assert "发送一张照片" in worker.texts()[0]
    worker.last = await worker.core.handle(_media(WORKER, photo="ANSWER-PHOTO"))
    assert "照片" in worker.texts()[0]
    await worker.press(worker.button("确认"))
    (answer,) = outbox(db, "family_reply")
    assert answer.chat_id == FAMILY and answer.payload["kind"] == "photo"
    assert answer.payload["file_id"] == "ANSWER-PHOTO" and "回复" in answer.payload["caption"]
    assert str(WORKER) not in str(answer.payload)
    with db.unit_of_work() as s:
        stored = s.scalars(select(FamilyMessage).where(FamilyMessage.direction == Direction.to_family)).one()
        assert (stored.kind, stored.file_id) == ("photo", "ANSWER-PHOTO")
        question = s.scalars(
            select(FamilyMessage).where(FamilyMessage.direction == Direction.from_family)
        ).one()
        assert question.answered_at == now


async def test_more_messages_than_the_hourly_limit_are_held_politely(db, keys, now):
    _, _, family = await _chats(db, keys, now)
    limit = Policy().family_messages_per_hour
    for i in range(limit + 2):
        await family.say(f"消息{i}")
    assert "比较多" in family.texts()[0]
    assert len(outbox(db, "family_relay")) == limit
    family.core.clock.advance(timedelta(hours=1, minutes=1))
    await family.say("一小时后")
    assert "已转达" in family.texts()[0]


async def test_inbox_lists_threads_waiting_and_forgets_them_once_answered(db, keys, now):
    _, worker, family = await _chats(db, keys, now)
    await worker.say("/inbox")
    assert "暂无" in worker.texts()[0]
    await family.say("第一条")
    await family.say("第二条")
    await worker.say("/inbox")
    assert "2 条" in worker.texts()[0] and "第二条" in worker.texts()[0]
    await worker.press(worker.button("回复"))
    await worker.say("收到")
    await worker.press(worker.button("确认"))
    await worker.say("/inbox")
    assert "暂无" in worker.texts()[0]


async def test_the_family_thread_shows_the_last_messages_both_ways(db, keys, now):
    city, worker, family = await _chats(db, keys, now)
    await family.say("孩子最近找到工作了")
    await worker.press(f"ft:{city.person_id}")
    text = worker.texts()[0]
    assert "母亲" in text and "找到工作" in text and "1 条待回复" in text
    await worker.press(worker.button("回复"))
    await worker.say("太好了")
    await worker.press(worker.button("确认"))
    await worker.press(f"ft:{city.person_id}")
    assert "太好了" in worker.texts()[0] and "待回复" not in worker.texts()[0]


async def test_stop_unlinks_the_account_and_tells_the_worker(db, keys, now):
    _, _, family = await _chats(db, keys, now)
    await family.say("/stop")
    await family.press(family.button("确认解除"))
    assert "已解除绑定" in family.texts()[0]
    with db.unit_of_work() as s:
        member = s.scalars(select(FamilyMember)).one()
        assert member.active is False and member.telegram_user_id is None
    assert [row.chat_id for row in outbox(db, "family_left")] == [WORKER]
    await family.say("/contact")
    assert "邀请" in family.texts()[0]  # an unlinked account again


async def test_contact_shows_the_cadre_of_the_care_team_beside_the_worker_and_never_the_police(db, keys, now):
    city, _, family = await _chats(db, keys, now)
    with db.unit_of_work() as s:
        cadre = s.get(Worker, city.worker_ids["W-CADRE"])
        cadre.work_phone, cadre.office_hours = "0715-8999000", "周二 14:00-17:00"
        police = s.get(Worker, city.worker_ids["W-POLICE"])
        police.work_phone = "0715-110110"
        names = {code: s.get(Worker, wid).name for code, wid in city.worker_ids.items()}
    await family.say("/contact")
    card = family.texts()[0]
    assert "0715-8123456" in card and "周一至周五 9:00-17:00" in card  # the worker
    assert names["W-CADRE"] in card and "0715-8999000" in card and "周二 14:00-17:00" in card
    assert "社区专干" in card
    assert "0715-110110" not in card and names["W-POLICE"] not in card
    assert names["W-2"] not in card and names["W-SUP"] not in card
    phones = {a.phone for a in family.last if isinstance(a, SendContact)}
    assert phones == {"0715-8123456", "0715-8999000"}


async def test_contact_is_rendered_in_english_for_an_english_family(db, keys, now):
    _, _, family = await _chats(db, keys, now)
    await family.press("lang:en")
    await family.say("/contact")
    card = family.texts()[0]
    assert "care team" in card and "community cadre" in card and "Work phone" in card

"""Anonymous tips (举报涉毒线索): to the community's police only; the tipster sealed, revealed audited."""

from __future__ import annotations

from sqlalchemy import select

from handlers.events import Incoming, InKind, SendPhoto
from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.crypto import Slot
from models.family import Tip
from models.services.family.tips import TIPSTER_FIELD, reveal_tipster
from tests.integration.family_city import (
    FAMILY,
    OTHER_POLICE,
    POLICE,
    WORKER,
    build_city,
    family_code,
    outbox,
    person_name,
    worker_code,
)
from tests.support.chat import BOT_ID, CoreChat, build_core


async def _tip(db, keys, now, *, photo: bool = False):
    city = build_city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    police = CoreChat(core, POLICE)
    await police.say(f"/start {worker_code(db, 'W-POLICE', now)}")
    for code, user in (("W-1", WORKER), ("W-POLICE-2", OTHER_POLICE)):
        await CoreChat(core, user).say(f"/start {worker_code(db, code, now)}")
    family = CoreChat(core, FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    await family.say("/tip")
    await family.say("幸福路3号楼经常有陌生人深夜聚集")
    if photo:
        photo_message = Incoming(BOT_ID, 880001, InKind.message, FAMILY, FAMILY, photo_file_id="TIP-PHOTO")
        family.last = await core.handle(photo_message)
    else:
        await family.press(family.button("跳过"))
    await family.press(family.button("确认"))
    return city, police, family


async def test_a_tip_reaches_the_police_of_the_community_and_nobody_else(db, keys, now):
    _, _, family = await _tip(db, keys, now)
    assert "匿名" in family.texts()[-1]
    tips = outbox(db, "tip")
    assert [t.chat_id for t in tips] == [POLICE]
    assert "陌生人深夜聚集" in tips[0].payload["text"]
    everyone_else = [row for row in outbox(db) if row.chat_id != FAMILY and row.purpose != "tip"]
    assert everyone_else == []  # not the worker, not the other community's police


async def test_the_police_learn_nothing_about_who_sent_the_tip(db, keys, now):
    city, _, _ = await _tip(db, keys, now)
    text = outbox(db, "tip")[0].payload["text"]
    assert str(FAMILY) not in text and "母亲" not in text and person_name(db, city.person_id) not in text
    with db.unit_of_work() as s:
        tip = s.scalars(select(Tip)).one()
        assert str(FAMILY).encode() not in tip.tipster_enc
        actors = {
            (e.actor_kind, e.actor_id)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.record_type == "tip"))
        }
    assert actors == {("system", None)}


async def test_the_tipster_is_revealed_only_through_the_audited_admin_service(db, keys, now):
    await _tip(db, keys, now)
    with db.unit_of_work() as s:
        tip_id = s.scalar(select(Tip.id))
    tipster = db.call(reveal_tipster, tip_id, Actor.cli(), keys, now)
    assert tipster is not None and tipster.telegram_user_id == FAMILY
    with db.unit_of_work() as s:
        reveals = s.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).all()
        assert [(r.record_type, r.record_id, r.actor_kind) for r in reveals] == [("tip", tip_id, "cli")]
        sealed = s.scalar(select(Tip.tipster_enc))
    assert str(FAMILY) in keys.open(sealed, Slot("tips", TIPSTER_FIELD, tip_id))


async def test_a_tip_photo_reaches_the_police_as_the_photo_itself(db, keys, now):
    city, _, _ = await _tip(db, keys, now, photo=True)
    text, photo = outbox(db, "tip")
    assert (text.chat_id, photo.chat_id) == (POLICE, POLICE)
    assert text.payload["kind"] == "send" and "另发" in text.payload["text"]
    assert photo.payload["kind"] == "photo" and photo.payload["file_id"] == "TIP-PHOTO"
    with db.unit_of_work() as s:
        tip_id = s.scalar(select(Tip.id))
    caption = photo.payload["caption"]
    assert f"#{tip_id}" in caption
    assert (
        str(FAMILY) not in caption
        and "母亲" not in caption
        and person_name(db, city.person_id) not in caption
    )


async def test_a_tip_photo_is_shown_again_to_the_receiving_police_only(db, keys, now):
    _, police, _ = await _tip(db, keys, now, photo=True)
    with db.unit_of_work() as s:
        view = f"tp:{s.scalar(select(Tip.id))}"
    await police.press(view)
    photos = [a for a in police.last if isinstance(a, SendPhoto)]
    assert photos and photos[0].file_id == "TIP-PHOTO"
    for user in (WORKER, OTHER_POLICE):
        intruder = CoreChat(police.core, user)
        await intruder.press(view)
        assert intruder.toast() == "您没有权限进行此操作。"
        assert not [a for a in intruder.last if isinstance(a, SendPhoto)]


async def test_the_tips_sender_gets_a_receipt_with_the_tip_number_and_nothing_of_its_subject(db, keys, now):
    _, _, family = await _tip(db, keys, now)
    with db.unit_of_work() as s:
        tip_id = s.scalar(select(Tip.id))
    receipt = family.texts()[-1]
    assert f"线索编号 <b>{tip_id}</b>" in receipt
    assert "陌生人" not in receipt and "测试员" not in receipt  # neither the tip's subject nor an officer

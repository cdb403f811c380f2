"""The family channel, staff side: inviting a relative by QR code, reassignment, the digest query."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.context import JobCtx
from handlers.events import SendPhoto
from handlers.family.staff import qr_png
from handlers.render import Renderer
from models.clock import FrozenClock
from models.people import FamilyMember, Person, Worker
from models.policy import Policy
from models.services.directory.entries import set_responsible
from models.services.family.notices import tell_reassignment
from models.services.family.threads import unanswered_family_messages
from tests.integration.family_city import (
    FAMILY,
    OTHER_WORKER,
    WORKER,
    build_city,
    family_code,
    outbox,
    worker_code,
)
from tests.support.chat import CoreChat, build_core


async def _linked(db, keys, now):
    city = build_city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    worker, family = CoreChat(core, WORKER), CoreChat(core, FAMILY)
    await worker.say(f"/start {worker_code(db, 'W-1', now)}")
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    return city, worker, family


async def test_a_worker_invites_a_relative_from_the_card_and_gets_a_qr_code(db, keys, now):
    city = build_city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    worker = CoreChat(core, WORKER)
    await worker.say(f"/start {worker_code(db, 'W-1', now)}")
    await worker.press(f"fi:{city.person_id}")
    assert "关系" in worker.texts()[0]
    await worker.press(worker.button("配偶"))
    photo = next(a for a in worker.last if isinstance(a, SendPhoto))
    assert photo.data is not None and photo.data.startswith(b"\x89PNG")
    assert int.from_bytes(photo.data[16:20], "big") >= 200  # wide enough to scan from a screen
    code = photo.caption.split("/start ")[1].split()[0]
    assert photo.data == qr_png(f"/start {code}")  # the image is the QR code of that very invite
    relative = CoreChat(core, 8300001)
    await relative.say(f"/start {code}")
    assert "家属" in relative.texts()[0]
    with db.unit_of_work() as s:
        member = s.scalars(select(FamilyMember).where(FamilyMember.telegram_user_id == 8300001)).one()
        assert member.relation == "配偶" and member.person_id == city.person_id


async def test_a_worker_cannot_invite_for_someone_outside_their_care(db, keys, now):
    city = build_city(db, keys, now)
    worker = CoreChat(build_core(db, FrozenClock(now)), OTHER_WORKER)
    await worker.say(f"/start {worker_code(db, 'W-2', now)}")
    for data in (f"fi:{city.person_id}", f"fi:{city.person_id}:0", "fi:999999", "fi:x"):
        await worker.press(data)
        assert worker.toast() == "您没有权限进行此操作。" and not worker.texts()
    with db.unit_of_work() as s:
        assert s.scalars(select(FamilyMember)).all() == []


async def test_reassignment_tells_the_family_and_the_card_shows_the_new_worker(db, keys, now):
    city, _, family = await _linked(db, keys, now)
    await CoreChat(family.core, OTHER_WORKER).say(f"/start {worker_code(db, 'W-2', now)}")
    with db.unit_of_work() as s:
        person = s.get(Person, city.person_id)
        new = s.get(Worker, city.worker_ids["W-2"])
        set_responsible(s, person, new)
        new_name, new_phone = new.name, new.work_phone
        job = JobCtx(now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=s, policy=Policy())
        told = tell_reassignment(s, job, city.person_id, city.worker_ids["W-1"], new.id, now=now)
    assert told == 1
    notices = outbox(db, "family_reassigned")
    assert [n.chat_id for n in notices] == [FAMILY, FAMILY]
    assert "已更换" in notices[0].payload["text"] and new_name in notices[0].payload["text"]
    assert notices[1].payload == {
        "kind": "contact",
        "phone": new_phone,
        "first_name": new_name,
        "last_name": None,
    }
    await family.say("/contact")
    assert new_name in family.texts()[0]
    await family.say("换了网格员吗？")
    assert [r.chat_id for r in outbox(db, "family_relay")] == [OTHER_WORKER]


async def test_unanswered_family_messages_are_listed_for_the_digest_after_the_threshold(db, keys, now):
    _, worker, family = await _linked(db, keys, now)
    await family.say("有事想问")
    day = timedelta(hours=24)
    assert db.call(unanswered_family_messages, "/T-CITY/", day, now + timedelta(hours=23)) == []
    late = db.call(unanswered_family_messages, "/T-CITY/", day, now + timedelta(hours=25))
    assert [(m.person_code, m.created_at) for m in late] == [("P-MINE", now)] and late[0].worker_name
    assert db.call(unanswered_family_messages, "/U-CITY/", day, now + timedelta(hours=25)) == []
    await worker.press(next(d for row in outbox(db, "family_relay")[0].payload["buttons"] for _, d in row))
    await worker.say("好的")
    await worker.press(worker.button("确认"))
    assert db.call(unanswered_family_messages, "/T-CITY/", day, now + timedelta(hours=25)) == []

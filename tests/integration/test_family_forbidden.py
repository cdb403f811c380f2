"""What a family member can never do: see records, reach other people, press staff buttons, flood.

Every worker command and every staff button kind is tried from a family account, with ids of
their own person, another person and ids that exist nowhere; every answer must be a refusal that
names no person, worker, colour or status.
"""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.setup import build_router
from models.access import Principal, scope_of
from models.clock import FrozenClock
from models.family import FamilyMessage, UrgentAlert
from models.outbox import OutboxMessage
from models.people import Worker
from tests.integration.family_city import FAMILY, OTHER_FAMILY, WORKER, build_city, family_code, worker_code
from tests.support.chat import CoreChat, build_core

FAMILY_COMMANDS = {"/contact", "/urgent", "/tip", "/stop", "/meetings"}
EVERYONE_COMMANDS = {"/start", "/help", "/whoami", "/lang", "/cancel"}
# Button kinds of other features that may not be registered yet are tried all the same: an
# unknown prefix must be as silent as a refused one.
STAFF_BUTTONS = ("p", "d", "ft", "fi", "fr", "fm", "ack", "tp", "cp", "r", "rv", "h", "t", "dg", "lang")


def _secrets(db, city) -> list[str]:
    """Strings a refusal must never contain: names, codes, colours, statuses, staff accounts."""
    with db.unit_of_work() as s:
        workers = list(s.scalars(select(Worker.name)))
    return [*workers, "P-MINE", "P-OTHER", "测试对象", "蓝色", "社区戒毒", str(WORKER)]


async def _family(db, keys, now):
    city = build_city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    worker = CoreChat(core, WORKER)
    await worker.say(f"/start {worker_code(db, 'W-1', now)}")
    family = CoreChat(core, FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    other = CoreChat(core, OTHER_FAMILY)
    await other.say(f"/start {family_code(db, 'P-OTHER', now, relation='配偶')}")
    await other.press("fc:yes")  # the privacy notice, agreed
    return city, worker, family, other


async def test_every_staff_command_is_refused_to_a_family_member_revealing_nothing(db, keys, now):
    city, _, family, _ = await _family(db, keys, now)
    router = build_router()
    staff_only = [
        name for name, route in router.commands.items() if scope_of(Principal.family, route.action) is None
    ]
    assert {"/my", "/note", "/inbox"} <= set(staff_only)
    tried = [*staff_only, "/history", "/today", "/digest", "/report", "/workers", "/export", "/delegate"]
    for command in tried:
        for arg in ("", " P-MINE", f" {city.person_id}", " P-OTHER"):
            await family.say(command + arg)
            answer = " ".join(family.texts())
            assert answer, command
            assert not [secret for secret in _secrets(db, city) if secret in answer], (command, answer)


async def test_forged_staff_buttons_from_a_family_account_are_refused(db, keys, now):
    city, _, family, _ = await _family(db, keys, now)
    ids = (city.person_id, city.other_person_id, 1, 999999)
    for prefix in STAFF_BUTTONS:
        for target in ids:
            for data in (f"{prefix}:{target}", f"{prefix}:{target}:0", f"{prefix}:1:0:ok"):
                await family.press(data)
                answer = " ".join(filter(None, [family.toast(), *family.texts()]))
                assert answer in ("您没有权限进行此操作。", "该按钮已失效。"), (data, answer)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing sent anywhere


async def test_a_family_member_cannot_ack_an_alert_or_reply_even_to_their_own_thread(db, keys, now):
    _, _, family, _ = await _family(db, keys, now)
    await family.say("你好")
    await family.say("/urgent")
    await family.press(family.button("跳过"))
    await family.press(family.button("确认"))
    with db.unit_of_work() as s:
        alert_id = s.scalar(select(UrgentAlert.id))
        message_id = s.scalar(select(FamilyMessage.id))
    for data in (f"ack:{alert_id}", f"fr:{message_id}", f"fm:{message_id}"):
        await family.press(data)
        assert family.toast() == "您没有权限进行此操作。"
    with db.unit_of_work() as s:
        assert s.scalar(select(UrgentAlert.acknowledged_at)) is None


async def test_a_family_member_learns_nothing_about_another_persons_case(db, keys, now):
    _, _, family, other = await _family(db, keys, now)
    await other.say("/contact")
    other_card = other.texts()[0]
    await family.say("/contact")
    card = family.texts()[0]
    assert card != other_card
    everything = card + " ".join(family.texts())
    assert "P-OTHER" not in everything and "配偶" not in everything
    await family.say("/whoami")
    assert "母亲" in family.texts()[0] and "测试对象" not in family.texts()[0]


async def test_the_family_menu_holds_only_the_family_channel(db, keys, now):
    router = build_router()
    common = {"whoami", "lang", "help", "forget"}
    assert set(router.menu(Principal.family)) == {c[1:] for c in FAMILY_COMMANDS} | common

"""The neutral core end to end through the database: onboarding, dialogs, rights, duplicates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from handlers.context import JobCtx
from handlers.dialogs.drafts import expire_drafts
from handlers.events import SetCommands
from handlers.flood import Throttle
from models.audit import Actor
from models.chat import ProcessedUpdate
from models.clock import FrozenClock
from models.outbox import OutboxMessage, OutboxStatus
from models.policy import Policy
from models.records import Record, RecordKind
from models.services.directory.invites import invite_worker
from tests.factories import make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core


def _city(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        w1 = make_worker(s, tree["G1"], code="W-1")
        w2 = make_worker(s, tree["G1"], code="W-2")
        make_person(s, tree["G1"], keys=keys, now=now, worker=w1, code="P-MINE")
        make_person(s, tree["G1"], keys=keys, now=now, worker=w2, code="P-OTHER")


async def _linked_worker(db, now, clock, code="W-1", user_id=501) -> CoreChat:
    invite = db.call(invite_worker, code, actor=Actor.cli(), now=now)
    chat = CoreChat(build_core(db, clock), user_id)
    await chat.say(f"/start {invite.code}")
    return chat


async def test_unlinked_account_learns_nothing_but_how_to_get_an_invite(db, keys, now):
    _city(db, keys, now)
    chat = CoreChat(build_core(db, FrozenClock(now)), 999)
    for text in ("/my", "/note", "hello", "/whoami"):
        await chat.say(text)
        assert chat.texts() and all("邀请" in t for t in chat.texts())
        assert "P-MINE" not in " ".join(chat.texts())


async def test_worker_links_by_invite_and_gets_a_worker_menu(db, keys, now):
    _city(db, keys, now)
    chat = await _linked_worker(db, now, FrozenClock(now))
    assert "网格员" in chat.texts()[0]
    menus = [a for a in chat.last if isinstance(a, SetCommands)]
    assert menus and ("my", "我的对象") in menus[0].commands


async def test_wrong_codes_are_slowed_down(db, keys, now):
    _city(db, keys, now)
    chat = CoreChat(build_core(db, FrozenClock(now)), 77)
    answers = []
    for i in range(5):
        await chat.say(f"/start wrong{i}")
        answers.append(chat.texts()[0])
    assert "无效" in answers[0] and "稍后" in answers[-1]


async def test_note_dialog_saves_once_with_author_and_audit(db, keys, now):
    _city(db, keys, now)
    chat = await _linked_worker(db, now, FrozenClock(now))
    await chat.say("/note")
    await chat.press(chat.button("P-MINE"))
    assert "P-OTHER" not in str(chat.last)
    await chat.say("   ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("走访正常 <b>&")
    ok = chat.button("确认")
    await chat.press(ok)
    assert "已保存" in chat.texts()[0] and "&lt;b&gt;&amp;" in chat.texts()[0]
    await chat.press(ok)  # a double tap
    assert chat.toast() == "该按钮已失效。"
    with db.unit_of_work() as s:
        records = s.scalars(select(Record)).all()
    assert [(r.kind, r.notes) for r in records] == [(RecordKind.note, "走访正常 <b>&")]


async def test_forged_button_for_someone_elses_person_is_refused(db, keys, now):
    _city(db, keys, now)
    chat = await _linked_worker(db, now, FrozenClock(now))
    await chat.say("/note")
    data = chat.button("P-MINE")
    nonce = data.split(":")[1]
    await chat.press(f"d:{nonce}:0:7")  # an option index that was never offered
    assert chat.toast() == "该按钮已失效。"
    await chat.press("d:1:0:0")  # a nonce of no form
    assert chat.toast() == "该按钮已失效。"


async def test_redelivered_update_is_processed_once(db, keys, now):
    _city(db, keys, now)
    chat = await _linked_worker(db, now, FrozenClock(now))
    first = await chat.say("/whoami", update_id=77777)
    again = await chat.say("/whoami", update_id=77777)
    assert first and again == []


async def test_idle_dialog_is_announced_and_then_dropped_unsaved(db, keys, now):
    _city(db, keys, now)
    clock = FrozenClock(now)
    chat = await _linked_worker(db, now, clock)
    await chat.say("/note")
    await chat.press(chat.button("P-MINE"))
    renderer = chat.core.renderer

    def job(minutes: int) -> int:
        with db.unit_of_work() as s:
            return expire_drafts(
                JobCtx(now + timedelta(minutes=minutes), renderer, s, Policy(tz=renderer.tz))
            )

    assert job(90) == 1  # announced
    with db.unit_of_work() as s:
        s.execute(update(OutboxMessage).values(status=OutboxStatus.sent, sent_at=now + timedelta(minutes=91)))
    assert job(125) == 1  # dropped
    clock.advance(timedelta(minutes=125))
    await chat.say("late text")
    assert not any("请确认" in t for t in chat.texts())
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0


async def test_language_switch_changes_every_text(db, keys, now):
    _city(db, keys, now)
    chat = await _linked_worker(db, now, FrozenClock(now))
    await chat.say("/lang")
    await chat.press("lang:en")
    await chat.say("/help")
    assert "Commands for a" in chat.texts()[0]


async def test_a_flooding_account_is_slowed_down_alone_and_costs_the_database_nothing(db, keys, now):
    _city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    core.throttle = Throttle(per_minute=60, burst=5, clock=lambda: 0.0)  # time stands still: no refill
    flooder, other = CoreChat(core, 701), CoreChat(core, 702)
    answers = [await flooder.say("/whoami") for _ in range(40)]
    told = [a for a in answers[5:] if a]
    assert len(told) == 1 and "太快" in told[0][0].text, "told once, then silence"
    assert all(a and "太快" not in a[0].text for a in answers[:5])
    assert (await other.say("/whoami")) and "太快" not in other.texts()[0]
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 5 + 1

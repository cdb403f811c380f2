"""No draft is lost silently (issue 13.4): a worker keeps one draft per form and person, resumes
any from /today, is told when a form continues or sets one aside, and is warned before one expires.
A draft survives a restart, and an upgrade that changes how drafts are kept (migration 0016)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

from bot.db import Database
from bot.migrate import upgrade
from handlers.dialogs.drafts import expire_drafts
from models.base import UTCDateTime
from models.chat import Conversation
from models.clock import FrozenClock
from models.outbox import OutboxMessage, OutboxStatus
from models.records import Record, RecordKind
from models.services.conversations import EXPIRING, load_dialog
from tests.conftest import BACKENDS, PG_URL
from tests.integration.reminders_city import City, at, build_city
from tests.support.chat import CoreChat, build_core

NOW = at(date(2026, 3, 4), time(10))  # a Wednesday


def _city(db: Database, people: int = 1) -> City:
    city = build_city(db)
    for _ in range(people):
        city.person(created=at(date(2026, 2, 1)))
    return city


def _chat(db: Database, city: City, clock: FrozenClock) -> CoreChat:
    return CoreChat(build_core(db, clock), city.worker.telegram_user_id)


def _drafts(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Conversation)) or 0


def _notes(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Record.notes).where(Record.kind == RecordKind.note)))


def _data_ending(chat: CoreChat, suffix: str) -> str:
    """The data of the last answer's form button ending so (`:ok` save, `:b` back)."""
    found = [b.data for a in chat.last for row in getattr(a, "buttons", ()) for b in row]
    return next(d for d in found if d.startswith("d:") and d.endswith(suffix))


def _first_choice(chat: CoreChat) -> str:
    """The first answer offered by the question just asked."""
    question = [a for a in chat.last if getattr(a, "buttons", ())][-1]
    return question.buttons[0][0].data  # type: ignore[attr-defined]


def _delivered(db: Database, outbox_id: int, when: datetime) -> None:
    """The sender delivered this message at `when`."""
    with db.unit_of_work() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(status=OutboxStatus.sent, sent_at=when)
        )


async def _half_a_note(chat: CoreChat, code: str) -> None:
    """/note for this person, stopped at the text (the person is chosen: something was answered)."""
    await chat.say("/note")
    await chat.press(chat.button(code))
    assert "请输入工作记录内容" in chat.texts()[0]


async def test_starting_another_form_keeps_the_first_and_says_where_it_is(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    chat = _chat(db, city, FrozenClock(NOW))
    await _half_a_note(chat, person.code)
    await chat.press(f"r:drug_test:{person.id}")
    kept, asked = chat.texts()
    assert "工作记录" in kept and "草稿" in kept and "/today" in kept and person.code in kept
    assert "请输入工作记录内容" not in asked
    assert _drafts(db) == 2


async def test_a_visit_half_done_survives_test_for_the_same_person(db: Database) -> None:
    """The case reported: half-way through a visit report, `/test <code>` for the same home visit."""
    city = _city(db)
    person = city.people[0]
    chat = _chat(db, city, FrozenClock(NOW))
    await chat.say(f"/visit {person.code}")
    await chat.press(_first_choice(chat))
    visit_question = chat.texts()[-1]
    await chat.say(f"/test {person.code}")
    kept = chat.texts()[0]
    assert "走访记录" in kept and "草稿" in kept and person.code in kept
    await chat.press(chat.button("✏️"))  # the notice's own button
    assert chat.texts()[-1] == visit_question


async def test_both_drafts_are_listed_in_today_and_each_resumes(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    chat = _chat(db, city, FrozenClock(NOW))
    await _half_a_note(chat, person.code)
    await chat.press(f"r:drug_test:{person.id}")
    await chat.press(_first_choice(chat))  # the sample: something answered in the test too
    drug_test_question = chat.texts()[-1]
    await chat.say("/today")
    [text] = chat.texts()
    assert "未完成的草稿" in text and "工作记录" in text and "吸毒检测" in text
    await chat.press(chat.button("✏️ 工作记录"))
    assert "请输入工作记录内容" in chat.texts()[-1]
    await chat.say("typed after resuming")  # the note is the active form again
    await chat.press(_data_ending(chat, ":ok"))  # save, whatever its label says
    assert _notes(db) == ["typed after resuming"]
    assert any("还有 1 份未完成的草稿" in t for t in chat.texts())  # and the test is a button away
    assert chat.button("✏️ 吸毒检测").endswith(":r:go")
    await chat.say("/today")
    assert "工作记录" not in chat.texts()[0].split("未完成的草稿")[1]
    await chat.press(chat.button("✏️ 吸毒检测"))
    assert chat.texts()[-1] == drug_test_question


async def test_starting_the_same_form_for_the_same_person_continues_its_draft(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    chat = _chat(db, city, FrozenClock(NOW))
    await _half_a_note(chat, person.code)
    await chat.press(f"r:note:{person.id}")  # from the card, for the same person
    told, asked = chat.texts()
    assert "继续填写" in told and person.code in told
    assert "请输入工作记录内容" in asked
    await chat.say("/note")  # by command, choosing the person again
    await chat.press(chat.button(person.code))
    told, asked = chat.texts()
    assert "继续填写" in told and "请输入工作记录内容" in asked
    assert _drafts(db) == 1


async def test_a_form_left_before_anything_was_answered_goes_quietly(db: Database) -> None:
    city = _city(db)
    chat = _chat(db, city, FrozenClock(NOW))
    await chat.say("/note")  # nothing answered yet
    await chat.press(f"r:drug_test:{city.people[0].id}")
    assert not any("草稿" in t for t in chat.texts())
    assert _drafts(db) == 1


async def test_expiry_is_announced_before_the_draft_goes(db: Database) -> None:
    city = _city(db)
    chat = _chat(db, city, FrozenClock(NOW))
    await _half_a_note(chat, city.people[0].code)

    def warnings() -> list[OutboxMessage]:
        return [m for m in city.outbox().values() if m.purpose == EXPIRING]

    assert city.run(expire_drafts, NOW + timedelta(minutes=80)) == 0  # two hours idle: not yet
    assert warnings() == []
    city.run(expire_drafts, NOW + timedelta(minutes=95))  # due at 11:30, the job is late
    [warning] = warnings()
    # Idle since 10:00 (local), due to close at 12:00: announced at 11:35, so it closes 30 min later.
    text = warning.payload["text"]
    assert "工作记录" in text and "自动关闭" in text and "12:05" in text
    [[(_, data)]] = warning.payload["buttons"]
    assert data.startswith("d:") and data.endswith(":r:go")
    city.run(expire_drafts, NOW + timedelta(minutes=100))
    assert len(warnings()) == 1  # once per idle spell
    city.run(expire_drafts, NOW + timedelta(minutes=130))
    assert _drafts(db) == 1  # past its time, but the notice has not reached the worker yet
    _delivered(db, warning.id, NOW + timedelta(minutes=131))
    city.run(expire_drafts, NOW + timedelta(minutes=160))
    assert _drafts(db) == 1  # delivered 29 minutes ago: kept
    city.run(expire_drafts, NOW + timedelta(minutes=161))
    assert _drafts(db) == 0


async def test_a_draft_touched_after_its_warning_is_announced_again_before_it_goes(db: Database) -> None:
    city = _city(db)
    clock = FrozenClock(NOW)
    chat = _chat(db, city, clock)
    await _half_a_note(chat, city.people[0].code)
    city.run(expire_drafts, NOW + timedelta(minutes=90))
    [first] = [m for m in city.outbox().values() if m.purpose == EXPIRING]
    _delivered(db, first.id, NOW + timedelta(minutes=91))
    clock.advance(timedelta(minutes=100))
    await chat.press(_data_ending(chat, ":b"))  # the worker comes back to it: idle from 11:40 on
    city.run(expire_drafts, NOW + timedelta(minutes=225))  # past the new expiry (13:40)
    assert _drafts(db) == 1
    assert len([m for m in city.outbox().values() if m.purpose == EXPIRING]) == 2


async def test_a_draft_come_back_to_after_its_time_goes_on(db: Database) -> None:
    city = _city(db)
    clock = FrozenClock(NOW)
    chat = _chat(db, city, clock)
    await _half_a_note(chat, city.people[0].code)
    city.run(expire_drafts, NOW + timedelta(minutes=90))
    [warning] = [m for m in city.outbox().values() if m.purpose == EXPIRING]
    _delivered(db, warning.id, NOW + timedelta(minutes=91))
    clock.advance(timedelta(minutes=123))  # past its time; the job has not dropped it yet
    await chat.say("still here")
    assert "请确认" in chat.texts()[0] and "still here" in chat.texts()[0]


async def test_drafts_survive_a_restart(db: Database) -> None:
    city = _city(db)
    clock = FrozenClock(NOW)
    await _half_a_note(_chat(db, city, clock), city.people[0].code)
    after = _chat(db, city, clock)  # a new core and router, the same database
    await after.say("written after the restart")
    await after.press(_data_ending(after, ":ok"))
    assert _notes(db) == ["written after the restart"]


async def test_a_form_started_again_before_anything_was_answered_simply_begins_anew(db: Database) -> None:
    city = _city(db)
    chat = _chat(db, city, FrozenClock(NOW))
    await chat.say("/note")
    first = chat.texts()
    await chat.say("/note")
    assert chat.texts() == first and _drafts(db) == 1


# -- an upgrade ---------------------------------------------------------------------------------

OLD_NONCE = 123456
OLD_RUN = "0123456789abcdef01234567"
# The drafts table as the version before migration 0016 kept it: the engine's keys among the answers.
OLD_DRAFTS = Table(
    "conversations",
    MetaData(),
    Column("chat_id", BigInteger),
    Column("dialog", String(40)),
    Column("subject", String(40)),
    Column("active", Boolean),
    Column("step", String(40)),
    Column("data", JSON),
    Column("nonce", Integer),
    Column("started_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
)


@pytest.fixture(params=BACKENDS)
def before_0016(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database as the version before 0016 left it (its schema at 0015)."""
    if request.param == "sqlite":
        url, admin, name = f"sqlite:///{tmp_path / 'old.db'}", None, ""
    else:
        assert PG_URL is not None
        name = f"gridcare_old_{uuid.uuid4().hex[:10]}"
        server = make_url(PG_URL).set(drivername="postgresql+psycopg")
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url, "0015")
    yield url
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _old_draft(db: Database, chat_id: int, dialog: str, step: str, data: dict[str, Any]) -> None:
    """A draft written by the version before 0016."""
    with db.unit_of_work() as session:
        session.execute(
            OLD_DRAFTS.insert().values(
                chat_id=chat_id,
                dialog=dialog,
                subject=str(data["person"]),
                active=True,
                step=step,
                data=data,
                nonce=OLD_NONCE,
                started_at=NOW,
                updated_at=NOW,
                expires_at=NOW + timedelta(hours=2),
            )
        )


def _keys(db: Database) -> list[str | None]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Record.idempotency_key)))


async def test_a_draft_saved_before_the_upgrade_goes_on_and_saves_after_it(before_0016: str) -> None:
    db = Database(before_0016, keep_obligations=False)  # written as the previous version did
    try:
        city = _city(db)
        person, worker_chat = city.people[0], city.worker.telegram_user_id
        engine_keys = {"_h": ["person"], "_o": [], "_id": OLD_RUN, "_key": f"{worker_chat}:{OLD_RUN}"}
        _old_draft(db, worker_chat, "note", "text", {"person": str(person.id), **engine_keys})
        upgrade(before_0016)  # the new version's `gridcare db upgrade`, then it starts

        draft = db.call(load_dialog, worker_chat)
        assert draft is not None and draft.data == {"person": str(person.id)}
        assert (draft.history, draft.offered, draft.run_id) == (["person"], [], OLD_RUN)
        chat = _chat(db, city, FrozenClock(NOW + timedelta(minutes=5)))
        await chat.say("written before and after the upgrade")
        assert "请确认" in chat.texts()[0]
        assert _data_ending(chat, ":b")  # what was answered before is still there to go back to
        await chat.press(_data_ending(chat, ":ok"))
        assert _notes(db) == ["written before and after the upgrade"]
        assert _keys(db) == [f"{worker_chat}:{OLD_RUN}"]  # keyed by the run it was begun as
    finally:
        db.dispose()


async def test_a_choice_offered_before_the_upgrade_is_the_one_pressed_after_it(before_0016: str) -> None:
    db = Database(before_0016, keep_obligations=False)  # written as the previous version did
    try:
        city = _city(db)
        person, worker_chat = city.people[0], city.worker.telegram_user_id
        # The kinds as that version showed them: today's form offers the routine visit first.
        offered = ["phone", "routine"]
        _old_draft(
            db, worker_chat, "visit", "kind", {"person": str(person.id), "_h": ["person"], "_o": offered}
        )
        upgrade(before_0016)

        chat = _chat(db, city, FrozenClock(NOW + timedelta(minutes=5)))
        await chat.press(f"d:{OLD_NONCE}:1:0")  # the first button of the kind question, step 1
        draft = db.call(load_dialog, worker_chat)
        assert draft is not None and draft.data["kind"] == "phone"
        assert draft.history == ["person", "kind"] and draft.run_id is None
        await chat.press(_data_ending(chat, ":b"))  # and back again, to the kinds offered now
        assert db.call(load_dialog, worker_chat).offered[0] == "routine"  # type: ignore[union-attr]
    finally:
        db.dispose()

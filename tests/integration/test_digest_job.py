"""The daily job: one digest (chart, then text) per supervisor and day, in their language, once."""

from __future__ import annotations

import base64
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from handlers.context import JobCtx
from handlers.render import Renderer
from handlers.supervisor import digest as supervisor_digest
from handlers.supervisor.digest import daily_digests, digest_messages
from models.chat import Chat
from models.outbox import OutboxMessage
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Period, PeriodKind, build_digest
from tests.integration.digest_city import DAY, NOW, TEST_POLICY, at, build_city

RENDERER = Renderer(ZoneInfo("Asia/Shanghai"))
CHATS = {"S-CITY": 8001, "S-CTY": 8002, "S-CTY2": 8003, "S-COM": 8004}


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        made = build_city(s, keys)
        for code, chat_id in CHATS.items():
            made.workers[code].telegram_user_id = chat_id
        s.add(
            Chat(chat_id=CHATS["S-CTY"], locale="en", failed_codes=0, unreachable=False, created_at=at(1, 1))
        )
        return made


def _run(db) -> int:
    with db.unit_of_work() as s:
        return daily_digests(JobCtx(now=NOW, renderer=RENDERER, _session=s, policy=TEST_POLICY))


def _outbox(db) -> list[OutboxMessage]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_each_supervisor_gets_a_chart_then_the_digest_of_their_own_area(db, city):
    assert _run(db) == 4
    rows = _outbox(db)
    assert {r.purpose for r in rows} == {"digest"} and len(rows) == 8
    by_chat: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        by_chat.setdefault(row.chat_id, []).append(row)
    for code, chat_id in CHATS.items():
        photo, text = by_chat[chat_id]
        assert photo.payload["kind"] == "photo" and text.payload["kind"] == "send"
        assert base64.b64decode(photo.payload["photo_b64"]).startswith(b"\x89PNG")
        assert (
            city.areas[{"S-CITY": "CITY", "S-CTY": "CTY", "S-CTY2": "CTY2", "S-COM": "COM"}[code]].name
            in text.payload["text"]
        )
    assert "Daily digest" in by_chat[CHATS["S-CTY"]][1].payload["text"]  # chose English
    assert "每日汇总" in by_chat[CHATS["S-COM"]][1].payload["text"]


def test_a_second_run_the_same_day_queues_nothing(db, city):
    _run(db)
    assert _run(db) == 0
    assert len(_outbox(db)) == 8


def test_shared_obligation_rows_give_the_same_digest_as_computing_alone(db, city):
    _run(db)
    area = city.areas["COM"]
    ref = AreaRef(area.id, area.code, area.name, area.level, area.path)
    alone = db.call(build_digest, ref, Period.of(PeriodKind.day, DAY), policy=TEST_POLICY, now=NOW)
    expected = digest_messages(RENDERER, "zh_CN", alone, can_review=True)
    (text,) = [r for r in _outbox(db) if r.chat_id == CHATS["S-COM"] and r.payload["kind"] == "send"]
    assert text.payload["text"] == expected.texts[0]
    assert text.payload["buttons"] == [[list(b) for b in row] for row in expected.buttons]


def test_unreachable_inactive_and_unlinked_supervisors_get_nothing(db, city):
    with db.unit_of_work() as s:
        s.add(Chat(chat_id=CHATS["S-CITY"], failed_codes=0, unreachable=True, created_at=at(1, 1)))
        s.get(type(city.workers["S-CTY2"]), city.workers["S-CTY2"].id).active = False
        s.get(type(city.workers["S-COM"]), city.workers["S-COM"].id).telegram_user_id = None
    assert _run(db) == 1
    assert {r.chat_id for r in _outbox(db)} == {CHATS["S-CTY"]}


def test_the_planned_batches_queue_what_the_job_queues_in_one_go(db, city, monkeypatch):
    """The scheduled job plans batches of supervisors (widest areas first) that any process claims;
    in batches of one, each counts its own subtree: the same digests, the same texts."""

    def queued() -> list[tuple[int, str, str]]:
        rows = _outbox(db)
        return sorted((r.chat_id, r.dedupe_key, str(r.payload.get("text"))) for r in rows)

    assert _run(db) == 4
    whole = queued()
    with db.unit_of_work() as s:
        s.execute(delete(OutboxMessage))
    monkeypatch.setattr(supervisor_digest, "DIGEST_BATCH", 1)
    with db.unit_of_work() as s:
        jctx = JobCtx(now=NOW, renderer=RENDERER, _session=s, policy=TEST_POLICY)
        assert supervisor_digest.plan_digests(jctx) == 4
        assert supervisor_digest.plan_digests(jctx) == 0  # planned once a day
        assert [supervisor_digest.digest_batch(jctx) for _ in range(5)] == [1, 1, 1, 1, 0]
    assert queued() == whole

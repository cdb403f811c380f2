"""Report review: a supervisor marks reports of their subtree correct or wrong; the author is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import Actor
from models.casework import Review, ReviewVerdict
from models.clock import FrozenClock
from models.outbox import OutboxMessage
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Period, PeriodKind, build_digest
from models.services.directory.invites import invite_worker
from tests.integration.digest_city import DAY, NOW, TEST_POLICY, build_city
from tests.support.chat import CoreChat, build_core


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


async def _supervisor(db, code: str = "S-COM", user_id: int = 7001) -> CoreChat:
    invite = db.call(invite_worker, code, actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), user_id)
    await chat.say(f"/start {invite.code}")
    return chat


def _reviews(db, record_id: int) -> list[tuple[ReviewVerdict, str | None]]:
    with db.unit_of_work() as s:
        rows = s.execute(
            select(Review.verdict, Review.comment).where(Review.record_id == record_id).order_by(Review.id)
        )
        return [tuple(r) for r in rows]


def _notices(db, chat_id: int) -> list[str]:
    with db.unit_of_work() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id, OutboxMessage.purpose == "notice")
        )
        return [r.payload["text"] for r in rows]


def _awaiting(db, city) -> tuple[int, int]:
    area = city.areas["COM"]
    ref = AreaRef(area.id, area.code, area.name, area.level, area.path)
    d = db.call(build_digest, ref, Period.of(PeriodKind.day, DAY), policy=TEST_POLICY, now=NOW)
    return d.reviews.awaiting, d.reviews.errors_open


async def test_the_oldest_report_awaiting_review_is_shown_with_verdict_buttons(db, city):
    chat = await _supervisor(db)
    await chat.say("/review")
    (text,) = chat.texts()
    first = city.records["p1_test"]  # p1_visit, filed before it, was reviewed already
    assert f"编号 {first.id}" in text and "吸毒检测" in text and "阴性" in text and "TP01" in text
    assert "另有 10 份" in text
    assert chat.button("正确") == f"rv:{first.id}:ok:{city.areas['COM'].id}"


async def test_marking_a_report_correct_saves_the_review_and_tells_the_author(db, city):
    chat = await _supervisor(db)
    await chat.say("/review")
    await chat.press(chat.button("正确"))
    record = city.records["p1_test"]
    assert _reviews(db, record.id) == [(ReviewVerdict.correct, None)]
    assert chat.toast() == "已审核为正确"
    (notice,) = _notices(db, 9001)  # WA filed it
    assert f"报表编号 {record.id}" in notice and "正确" in notice
    assert _awaiting(db, city) == (10, 1)


async def test_marking_a_report_wrong_asks_for_a_comment_and_the_author_can_correct_it(db, city):
    chat = await _supervisor(db)
    await chat.say("/review")
    await chat.press(chat.button("有误"))
    assert "问题" in chat.texts()[0]
    await chat.say("尿检结果与照片不符 <b>&")
    await chat.press(chat.button("确认"))
    record = city.records["p1_test"]
    assert _reviews(db, record.id) == [(ReviewVerdict.has_errors, "尿检结果与照片不符 <b>&")]
    (notice,) = _notices(db, 9001)
    assert (
        "有误" in notice and "尿检结果与照片不符 &lt;b&gt;&amp;" in notice and f"编号 {record.id}" in notice
    )
    with db.unit_of_work() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "notice")).one()
    assert row.payload["buttons"] == [[["✏️ 更正报表", f"rc:{record.id}:c"]]]  # the author corrects from here
    assert _awaiting(db, city) == (10, 2)


async def test_next_walks_through_the_reports_awaiting_review(db, city):
    chat = await _supervisor(db)
    await chat.say("/review")
    await chat.press(chat.button("下一条"))
    assert f"编号 {city.records['p2_visit1'].id}" in chat.texts()[0]


async def test_a_supervisor_cannot_review_a_report_of_another_county(db, city):
    chat = await _supervisor(db, "S-CTY2", 7002)
    record = city.records["p1_test"]
    await chat.press(f"rv:{record.id}:ok:{city.areas['CTY2'].id}")
    assert chat.toast() == "您没有权限进行此操作。"
    await chat.press(f"rv:{record.id}:no:{city.areas['CTY2'].id}")
    assert chat.toast() == "您没有权限进行此操作。" and not chat.texts()
    await chat.press(f"rq:{city.areas['COM'].id}:0")
    assert chat.toast() == "您没有权限进行此操作。" and not chat.texts()
    assert _reviews(db, record.id) == []


async def test_a_voided_report_cannot_be_reviewed(db, city):
    chat = await _supervisor(db)
    record = city.records["p1_void"]
    await chat.press(f"rv:{record.id}:ok:{city.areas['COM'].id}")
    assert chat.toast() == "您没有权限进行此操作。" and _reviews(db, record.id) == []


async def test_an_author_without_a_linked_account_is_not_notified(db, city):
    chat = await _supervisor(db, "S-CTY2", 7002)
    await chat.say("/review")
    record = city.records["p10_test"]  # WC has no Telegram account
    assert f"编号 {record.id}" in chat.texts()[0]
    await chat.press(chat.button("正确"))
    assert "未能通知" in chat.texts()[0]
    with db.unit_of_work() as s:
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "notice")).all() == []

"""Worker reporting end to end, on both transports: the real clients, HTTP, the local Bot API server.

One representative path per report kind, with bad input along the way; the exhaustive bad-input
coverage per step is in tests/integration/test_reports_forms.py on the neutral core.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.clock import FrozenClock
from models.outbox import OutboxMessage
from models.records import Record, RecordKind
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.integration.test_reports_support import USERS, city

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def _photo(user: User, data: bytes) -> None:
    update = user.api.user_sends_photo(user.user_id, data)
    await user.running.wait_handled(update["update_id"])


async def _presses(user: User, *labels: str) -> None:
    for label in labels:
        await user.press(label)


async def test_a_worker_files_every_kind_of_record_from_the_card(db, db_url, keys, now, transport):
    city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, USERS["W-1"])
            await worker.say("/my")
            await worker.press("P-MINE")
            assert "帮教小组" in worker.last_text() and "身份证：990000****" in worker.last_text()
            await _presses(worker, "常规走访", "跳过", "跳过", "确认")
            assert "已保存" in worker.last_text()
            await _presses(worker, "查看档案", "检测", "尿液", "快速", "阳性", "冰毒", "跳过")
            await worker.say("三月二号")
            assert "无法识别" in worker.all_text()
            await worker.say("3-3")
            await _photo(worker, b"kit")
            await worker.press("确认")
            assert "已立即通知：" in worker.last_text() and "（督导）。" in worker.last_text()
            await _presses(worker, "查看档案", "法制教育", "个别", "禁毒法律法规", "今天", "跳过", "确认")
            await _presses(worker, "查看档案", "思想汇报", "今天", "书面")
            await _photo(worker, b"pages")
            await worker.say("认真反省")
            await worker.press("确认")
            await _presses(worker, "查看档案", "评估", "量化", "今天")
            await worker.say("120")
            assert "0 到 100" in worker.last_text() or "0 到 100" in worker.all_text()
            await worker.say("75")
            await worker.say("稳定")
            await _presses(worker, "保持现有分类", "确认")
            await _presses(worker, "查看档案", "帮扶", "职业培训", "跳过", "今天", "确认")
            await _presses(worker, "查看档案", "工作记录")
            await worker.say("家属反映情况良好")
            await worker.press("确认")
            assert "已保存" in worker.last_text()
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        rows = s.scalars(select(Record).order_by(Record.id)).all()
        created = s.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "create")).all()
        alerts = s.scalars(select(OutboxMessage.chat_id).where(OutboxMessage.purpose == "alert")).all()
    assert [r.kind for r in rows] == [
        RecordKind.visit,
        RecordKind.drug_test,
        RecordKind.education,
        RecordKind.thought_report,
        RecordKind.assessment,
        RecordKind.help,
        RecordKind.note,
    ]
    assert len({r.author_id for r in rows}) == 1 and all(r.photo_ref for r in rows[1:4:2])
    assert {r.id for r in rows} <= set(created)
    assert sorted(alerts) == [USERS["W-C"], USERS["W-P"], USERS["W-S"]]


async def test_a_report_survives_a_restart_and_a_double_submission_saves_once(
    db, db_url, keys, now, transport
):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    other = "ptb" if transport == "aiogram" else "aiogram"
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        worker = User(api, running, USERS["W-1"])
        await worker.say("/visit")
        await worker.press("P-MINE")
        await worker.press("入户见面")
        await running.stop()  # the process goes away in the middle of the form

        running = await start_bot(db_url, api, other, clock)
        worker.running = running
        try:
            await _presses(worker, "今天", "情况稳定", "生活情况无变化", "在工作", "未发现")
            await worker.say("一切正常")
            await worker.press("跳过")
            confirm = api.transcript(worker.user_id)[-1]
            data = next(d for label, d in confirm.buttons if "确认" in label)
            assert "已保存" not in confirm.text
            await worker.press_data(confirm.message_id, data)
            assert await worker.press_data(confirm.message_id, data) == "该按钮已失效。"
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        saved = s.scalars(select(Record)).all()
    assert [(r.person_id, r.subkind, r.notes) for r in saved] == [(ids["P-MINE"], "home", "一切正常")]


async def test_reporting_on_someone_outside_the_caseload_is_refused(db, db_url, keys, now, transport):
    ids = city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, USERS["W-1"])
            await worker.say("/test P-OTHER")
            assert "没有找到该对象" in worker.last_text()
            message = api.transcript(worker.user_id)[-1].message_id
            toast = await worker.press_data(message, f"r:drug_test:{ids['P-OTHER']}")
            assert toast == "您没有权限进行此操作。"
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        assert s.scalars(select(Record)).all() == []
        refused = s.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "refused")).all()
    assert refused == [ids["P-OTHER"], ids["P-OTHER"]]

"""Issue 14: the registration, a missed assessment and counselling met in chat on both transports
(the real aiogram and python-telegram-bot clients against the local Bot API server), dated when
they happened, and gone from what the person owes."""

from __future__ import annotations

from datetime import date

import pytest

from models.clock import FrozenClock
from models.people import Person
from models.policy import Policy
from models.records import RecordKind
from models.services.obligations.due import obligation_rows
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.integration.test_case_obligations import PSYCHOLOGIST, released_on, with_psychologist
from tests.integration.test_reports_support import USERS, city, records

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)
TODAY = date(2026, 3, 4)
MET = {
    ("registration", date(2026, 2, 25)),
    ("quantitative_assessment", date(2025, 7, 1)),
    ("counselling", date(2026, 3, 1)),
}


def owed(db, person_id: int) -> set[tuple[str, date]]:
    with db.unit_of_work() as s:
        rows = obligation_rows(s, today=TODAY, policy=Policy(), open_only=True)
    return {(str(r.obligation), r.period_start) for r in rows if r.person_id == person_id}


async def test_registration_assessment_and_counselling_are_met_in_chat(db, db_url, keys, now, transport):
    ids = city(db, keys, now)
    person = ids["P-MINE"]
    released_on(db, person, date(2026, 2, 25))
    with_psychologist(db, person)
    assert owed(db, person) >= MET
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, USERS["W-1"])
            await worker.say("/my")
            await worker.press("P-MINE")
            for label in ("报到登记", "昨天", "派出所", "跳过"):
                await worker.press(label)
            assert "在期限内" in worker.last_text()
            await worker.press("确认")
            assert "已保存" in worker.last_text()
            for label in ("查看档案", "评估", "量化"):
                await worker.press(label)
            await worker.say("2025-12-20")
            await worker.say("68")
            await worker.say("补录下半年评估")
            await worker.press("保持现有分类")
            await worker.press("确认")
            assert "补录" in worker.last_text()
            psychologist = User(api, running, PSYCHOLOGIST)
            await psychologist.say("/my")
            await psychologist.press("P-MINE")
            for label in ("心理辅导", "今天", "团体辅导", "家庭关系", "有所好转", "跳过", "确认"):
                await psychologist.press(label)
            assert "已保存" in psychologist.last_text()
        finally:
            await running.stop()
    kinds = [r.kind for r in records(db)]
    assert kinds == [RecordKind.registration, RecordKind.assessment, RecordKind.counselling]
    assert not MET & owed(db, person)
    with db.unit_of_work() as s:
        assert s.get(Person, person).registered_on == date(2026, 3, 3)

"""The Mini App's API (handlers.miniapp.api.serve): the digest's figures, drill-down, review and the
card, each id checked against the caller's jurisdiction, each read of a person audited."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from handlers.context import Work
from handlers.miniapp.api import serve
from handlers.miniapp.initdata import WebAppUser
from handlers.render import Renderer
from models.audit import AuditEntry
from models.casework import CaseChange, CaseChangeKind, Review
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import Role, Worker
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Period, PeriodKind, build_digest
from tests.factories import TEST_KEYS
from tests.integration.digest_city import DAY, NOW, TEST_POLICY
from tests.support.miniapp import city_with_accounts

RENDERER = Renderer(ZoneInfo("Asia/Shanghai"))
USERS = {"S-COM": 7001, "S-CTY2": 7002, "WA": 7003, "S-CITY": 7004}


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return city_with_accounts(s, keys, USERS)


def call(db, user_id: int, endpoint: str, **params):
    with db.unit_of_work() as s:
        work = Work(NOW, RENDERER, s, TEST_POLICY, keys=KeyRing.parse(TEST_KEYS))
        return serve(work, WebAppUser(user_id, "zh-hans", NOW), endpoint, params)


def refusals(db, actor_user: int) -> int:
    with db.unit_of_work() as s:
        return len(s.scalars(select(AuditEntry).where(AuditEntry.action == "refused")).all())


def ref(area) -> AreaRef:
    return AreaRef(area.id, area.code, area.name, area.level, area.path)


def test_the_page_opens_on_the_supervisors_own_area_with_texts_in_their_language(db, city):
    reply = call(db, USERS["S-COM"], "me")
    assert reply.status == 200
    assert reply.body["area"]["id"] == city.areas["COM"].id
    assert reply.body["labels"]["ma_title"] == "辖区概览" and reply.body["can_review"] is True


def test_the_dashboard_shows_the_digests_own_figures(db, city):
    reply = call(db, USERS["S-COM"], "node", area=city.areas["COM"].id, period="day")
    digest = db.call(
        build_digest, ref(city.areas["COM"]), Period.of(PeriodKind.day, DAY), policy=TEST_POLICY, now=NOW
    )
    body = reply.body
    assert body["obligations"]["meeting"]["overdue"] == digest.meetings.overdue
    assert body["obligations"]["drug_test"]["done"] == digest.tests.done
    assert (body["positives"], body["alerts_open"]) == (digest.filed.positive, digest.alerts.open)
    assert body["unanswered_messages"] == digest.unanswered_messages
    assert body["people"]["total"] == digest.people.total
    assert [b["id"] for b in body["bars"]] == [b.id for b in digest.bars]
    assert len(body["trend"]) == 5 and body["trend"][-1]["start"] == "2026-03-02"
    assert {w["code"] for w in body["workers"]} == {"WA", "WB"}


def test_a_supervisor_drills_down_to_a_grid_whose_bars_are_its_workers(db, city):
    body = call(db, USERS["S-COM"], "node", area=city.areas["G1"].id).body
    assert body["bars_are_workers"]
    assert [(b["kind"], b["code"]) for b in body["bars"]] == [("worker", "WA"), ("unassigned", "-")]


def test_another_areas_node_worker_person_and_queue_are_refused_and_audited(db, city):
    """The supervisor of county 2 edits the requests to name things of county 1."""
    before = refusals(db, USERS["S-CTY2"])
    other = USERS["S-CTY2"]
    assert call(db, other, "node", area=city.areas["COM"].id).status == 403
    assert call(db, other, "worker", worker=city.workers["WA"].id).status == 403
    assert call(db, other, "person", person=city.persons["TP01"].id).status == 403
    assert call(db, other, "queue", area=city.areas["COM"].id).status == 403
    assert call(db, other, "review", record=city.records["p1_test"].id, verdict="ok").status == 403
    assert call(db, other, "export", area=city.areas["COM"].id, period="week").status == 403
    assert refusals(db, other) - before >= 6
    assert call(db, other, "node", area=city.areas["G3"].id).status == 200  # their own grid


def test_a_grid_worker_and_an_unknown_account_are_refused(db, city):
    assert call(db, USERS["WA"], "me").status == 403
    assert call(db, USERS["WA"], "node").status == 403
    assert call(db, 9201, "me").status == 403  # a family member of TP01
    assert call(db, 5555, "me").status == 403


def test_a_persons_timeline_is_read_and_audited_as_the_card_is(db, city):
    person = city.persons["TP01"]
    reply = call(db, USERS["S-COM"], "person", person=person.id)
    assert reply.status == 200 and reply.body["card"]["code"] == "TP01"
    assert {r["kind"] for r in reply.body["records"]} >= {"visit", "drug_test"}
    with db.unit_of_work() as s:
        reads = s.scalars(
            select(AuditEntry.record_type).where(
                AuditEntry.action == "read", AuditEntry.person_id == person.id
            )
        ).all()
    assert sorted(reads) == ["history", "person"]


def test_a_workers_overdue_items_are_listed_by_code(db, city):
    body = call(db, USERS["S-COM"], "worker", worker=city.workers["WA"].id).body
    assert body["worker"]["code"] == "WA" and all(i["person_code"].startswith("TP") for i in body["overdue"])


def test_marking_a_report_correct_twice_saves_it_once_and_tells_the_author_once(db, city):
    record = city.records["p1_test"]
    for _ in range(2):
        reply = call(db, USERS["S-COM"], "review", record=record.id, verdict="ok")
        assert reply.status == 200
    with db.unit_of_work() as s:
        assert len(s.scalars(select(Review).where(Review.record_id == record.id)).all()) == 1
        notices = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == USERS["WA"])).all()
    assert len([n for n in notices if n.purpose == "notice"]) == 1


def test_has_errors_needs_a_comment(db, city):
    record = city.records["p1_test"]
    assert call(db, USERS["S-COM"], "review", record=record.id, verdict="no").status == 400
    assert (
        call(db, USERS["S-COM"], "review", record=record.id, verdict="no", comment="日期不对").status == 200
    )


def test_the_queue_filters_by_kind_and_lateness(db, city):
    area = city.areas["COM"].id
    tests = call(db, USERS["S-COM"], "queue", area=area, kind="drug_test").body
    assert tests["items"] and {i["kind"] for i in tests["items"]} == {"drug_test"}
    late = call(db, USERS["S-COM"], "queue", area=area, late=True).body
    assert [i["id"] for i in late["items"]] == [city.records["p3_late"].id]


def test_a_sample_takes_at_most_n_per_author_and_is_the_same_all_week(db, city):
    area = city.areas["COM"].id
    first = call(db, USERS["S-COM"], "queue", area=area, sample=1).body["items"]
    again = call(db, USERS["S-COM"], "queue", area=area, sample=1).body["items"]
    authors = [i["author_code"] for i in first]
    assert first == again and sorted(authors) == sorted(set(authors)) and set(authors) <= {"WA", "WB"}


def test_the_export_is_the_chats_workbook_of_the_node_on_screen(db, city):
    reply = call(db, USERS["S-COM"], "export", area=city.areas["COM"].id, period="week")
    assert reply.status == 200 and reply.filename.startswith("gridcare-T-COM-week")
    assert "汇总" in load_workbook(io.BytesIO(reply.file)).sheetnames


@pytest.mark.parametrize("params", [{"area": "1"}, {"area": -1}, {"period": "year"}, {"area": True}])
def test_requests_the_page_never_sends_are_bad_requests(db, city, params):
    assert call(db, USERS["S-COM"], "node", **params).status == 400


def test_the_timeline_shows_colour_changes_and_alerts_without_their_texts(db, city):
    changed = call(db, USERS["S-COM"], "person", person=city.persons["TP09"].id).body["events"]
    # newest first: today's assessment, then the colour given at registration
    assert [(e["colour_from"], e["colour_to"]) for e in changed] == [("blue", "orange"), (None, "blue")]
    alerted = call(db, USERS["S-COM"], "person", person=city.persons["TP04"].id).body["events"]
    assert [(e["kind"], e["acknowledged"]) for e in alerted if e["kind"] == "alert"] == [("alert", False)]
    fields = {"at", "kind", "colour_from", "colour_to", "acknowledged", "change", "state"}
    assert all(set(e) == fields for e in changed + alerted)


def test_the_timeline_shows_case_changes_and_whether_they_were_confirmed(db, city):
    person_id = city.persons["TP09"].id
    with db.unit_of_work() as s:
        worker = s.scalar(select(Worker.id).where(Worker.role == Role.grid_worker))
        for kind, accepted in ((CaseChangeKind.agreement, True), (CaseChangeKind.isolation, None)):
            decided = NOW if accepted else None
            s.add(
                CaseChange(
                    person_id=person_id,
                    kind=kind,
                    effective_on=date(2026, 3, 1),
                    proposed_by=worker,
                    proposed_at=NOW,
                    decided_at=decided,
                    accepted=accepted,
                )
            )
    events = call(db, USERS["S-COM"], "person", person=person_id).body["events"]
    cases = [(e["change"], e["state"]) for e in events if e["kind"] == "case"]
    assert sorted(cases) == [("agreement", "done"), ("isolation", "waiting")]


def test_the_page_speaks_english_to_an_english_telegram(db, city):
    with db.unit_of_work() as s:
        work = Work(NOW, RENDERER, s, TEST_POLICY, keys=KeyRing.parse(TEST_KEYS))
        reply = serve(work, WebAppUser(USERS["S-COM"], "en", NOW), "me", {})
    assert reply.body["locale"] == "en" and reply.body["labels"]["ma_title"] == "Jurisdiction at a glance"


def test_the_trend_weeks_are_the_weekly_digests_charts_as_they_stood_at_each_weeks_end(db, city):
    trend = call(db, USERS["S-COM"], "node", area=city.areas["COM"].id).body["trend"]
    area, sunday = ref(city.areas["COM"]), date(2026, 3, 1)
    at_week_end = datetime.combine(sunday, time(23, 59, 59), tzinfo=ZoneInfo("Asia/Shanghai"))
    past = db.call(
        build_digest, area, Period.of(PeriodKind.week, sunday), policy=TEST_POLICY, now=at_week_end
    )
    this = db.call(build_digest, area, Period.of(PeriodKind.week, DAY), policy=TEST_POLICY, now=NOW)
    for week, digest in ((trend[-2], past), (trend[-1], this)):
        assert week["start"] == digest.period.start.isoformat()
        assert (week["total"], week["done"], week["overdue"]) == (
            digest.chart.total,
            digest.chart.done,
            digest.chart.overdue,
        )


def test_inside_telegram_the_export_comes_to_the_chat_as_export_sends_it(db, city):
    reply = call(db, USERS["S-COM"], "export", area=city.areas["COM"].id, period="month", to_chat=True)
    assert reply.body == {"sent": True}
    with db.unit_of_work() as s:
        (sent,) = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == USERS["S-COM"])).all()
    assert sent.payload["kind"] == "document" and sent.payload["filename"].startswith("gridcare-T-COM-month")
    assert "测试社区" in sent.payload["caption"]

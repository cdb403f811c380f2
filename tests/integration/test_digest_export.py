"""/export week|month: an XLSX (one sheet per table, Chinese headers) whose numbers are the digest's."""

from __future__ import annotations

import io

import openpyxl
import pytest

from handlers.events import SendDocument
from models.audit import Actor
from models.clock import FrozenClock
from models.policy import Policy
from models.services.digest.export import SUMMARY, export_report
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Period, PeriodKind, build_digest, overdue_list
from models.services.directory.invites import invite_worker
from models.services.performance.table import worker_performance
from tests.integration.digest_city import DAY, NOW, TEST_POLICY, TZ, build_city
from tests.support.chat import CoreChat, build_core


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


def _ref(area) -> AreaRef:
    return AreaRef(area.id, area.code, area.name, area.level, area.path)


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


async def test_export_sends_a_workbook_whose_figures_match_the_digest(db, city):
    invite = db.call(invite_worker, "S-COM", actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), 7001)
    await chat.say(f"/start {invite.code}")
    await chat.say("/export week")
    (document,) = [a for a in chat.last if isinstance(a, SendDocument)]
    assert document.filename == "gridcare-T-COM-week-2026-03-04.xlsx" and "测试社区" in (
        document.caption or ""
    )
    sheets = _sheets(document.data)
    assert list(sheets) == ["汇总", "下级区域完成率", "逾期人员", "网格员考核"]

    policy = Policy(tz=TZ)  # the chat's policy: the default rules
    period = Period.of(PeriodKind.week, DAY)
    digest = db.call(build_digest, _ref(city.areas["COM"]), period, policy=policy, now=NOW)
    summary = dict(sheets["汇总"][1:])
    assert sheets["汇总"][0] == ("项目", "数值")
    for label, figure in SUMMARY:
        assert summary[label] == figure(digest), label
    assert summary["区域"] == "T-COM 测试社区"

    assert sheets["下级区域完成率"][0] == ("编码", "名称", "应完成", "已完成", "逾期", "完成率(%)")
    assert sheets["下级区域完成率"][1:] == [
        (b.code, b.name, b.total, b.done, b.overdue, b.rate) for b in digest.bars
    ]
    overdue = db.call(overdue_list, digest, policy)
    assert [row[0] for row in sheets["逾期人员"][1:]] == [p.person_code for p in overdue]
    figures = db.call(worker_performance, city.areas["COM"].path, period, policy=policy, now=NOW)
    assert [(r[0], r[3], r[7]) for r in sheets["网格员考核"][1:]] == [
        (w.code, w.records, w.missed) for w in figures
    ]


def test_the_workbook_carries_the_known_figures_and_no_names(db, city):
    period = Period.of(PeriodKind.week, DAY)
    _digest, data = db.call(
        export_report, Actor.cli(), _ref(city.areas["COM"]), period, policy=TEST_POLICY, now=NOW
    )
    sheets = _sheets(data)
    summary = dict(sheets["汇总"][1:])
    assert (summary["见面·应完成"], summary["见面·已完成"], summary["见面·逾期"]) == (10, 1, 3)
    assert (summary["填报记录"], summary["紧急求助"], summary["紧急求助·响应中位数(分钟)"]) == (10, 4, 10)
    assert summary["逾期超期人数"] == 2
    assert sheets["逾期人员"][1] == ("TP03", "WB", 63, "思想汇报、吸毒检测、法制教育、见面")
    cells = " ".join(str(c) for rows in sheets.values() for row in rows for c in row)
    assert "测试对象" not in cells  # people by code, never by name


async def test_export_needs_a_period(db, city):
    invite = db.call(invite_worker, "S-COM", actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), 7001)
    await chat.say(f"/start {invite.code}")
    await chat.say("/export")
    assert "用法" in chat.texts()[0] and not [a for a in chat.last if isinstance(a, SendDocument)]

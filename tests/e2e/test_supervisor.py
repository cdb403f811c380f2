"""A supervisor end to end, on both transports: digest with chart, drill-down, refusal, export."""

from __future__ import annotations

import io

import openpyxl
import pytest

from models.audit import Actor
from models.clock import FrozenClock
from models.services.directory.invites import invite_worker
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.integration.digest_city import NOW, build_city

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def test_supervisor_reads_the_digest_drills_down_and_exports(db, db_url, keys, transport):
    with db.unit_of_work() as s:
        city = build_city(s, keys)
    code = db.call(invite_worker, "S-COM", actor=Actor.cli(), now=NOW).code
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(NOW))
        try:
            supervisor = User(api, running, 31)
            await supervisor.say(f"/start {code}")
            assert "digest" in api.menu(31) and "review" in api.menu(31)
            transcript = await supervisor.say("/digest")
            chart, text = transcript[-2], transcript[-1]
            assert chart.photo is not None and chart.photo.data.startswith(b"\x89PNG")
            assert "测试社区" in (chart.caption or "")
            assert "每日汇总 · 测试社区" in (text.text or "") and "TP03" in (text.text or "")
            g1 = f"dg:{city.areas['G1'].id}:d20260304"
            assert any(label.startswith("📂 第一网格") and data == g1 for label, data in text.buttons)

            await supervisor.press("第一网格")
            assert "每日汇总 · 第一网格" in supervisor.last_text()

            forged = f"dg:{city.areas['CTY2'].id}:d20260304"  # the other county
            assert await supervisor.press_data(text.message_id, forged) == "您没有权限进行此操作。"

            transcript = await supervisor.say("/export week")
            document = transcript[-1].document
            assert document is not None and (document.filename or "").endswith(".xlsx")
            book = openpyxl.load_workbook(io.BytesIO(document.data))
            assert book.sheetnames == ["汇总", "下级区域完成率", "逾期人员", "网格员考核"]
        finally:
            await running.stop()

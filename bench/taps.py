"""Taps and messages per report kind: `python -m bench.taps` prints the table for BENCHMARKS.md.

Drives the neutral core (no transport, no network) on a scratch SQLite file, as a grid worker
who has opened the person's card (choosing the person: `/my` typed, one tap on the person) and
files each kind of report along its shortest routine path. Counts what the worker does (button
taps, typed messages) and what the bot does (new messages, edits of a message in place), and
checks that every path saved exactly one record.
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.migrate import upgrade
from handlers.core import Core
from handlers.events import Action, Edit, Incoming, InKind, Send
from handlers.render import Renderer
from handlers.setup import build_router
from models.areas import AreaLevel
from models.audit import Actor
from models.casework import Appointment, CaseChange
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.people import CaseRole, Colour, Person, Role, Status
from models.records import Record
from models.services.directory.entries import (
    AreaData,
    PersonData,
    WorkerData,
    assign,
    upsert_area,
    upsert_person,
    upsert_worker,
)

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
KEYS = KeyRing.parse("taps:" + base64.urlsafe_b64encode(b"t" * 32).decode())
USER = 7001
BOT = 1

# (report, path, steps): what the worker does once the card is open; ("tap", label) or ("type", text).
Step = tuple[str, str]


def taps(*labels: str) -> tuple[Step, ...]:
    return tuple(("tap", label) for label in labels)


PATHS: tuple[tuple[str, str, tuple[Step, ...]], ...] = (
    ("visit", "routine, from the card's ⚡ button", taps("常规走访", "跳过", "跳过", "确认")),
    (
        "visit",
        "routine, but yesterday (📅 on the confirm screen)",
        taps("常规走访", "跳过", "跳过", "改日期", "昨天", "确认"),
    ),
    (
        "visit",
        "at the station, every answer by button",
        taps(
            "🏠 走访",
            "在工作站",
            "今天",
            "情况稳定",
            "生活情况无变化",
            "无变化",
            "未发现",
            "跳过",
            "跳过",
            "确认",
        ),
    ),
    (
        "visit",
        "未见到本人 (not met): not at home, today",
        taps("🏠 走访", "未见到本人", "不在家", "今天", "跳过", "跳过", "确认"),
    ),
    ("drug test", "routine: urine rapid kit, negative", taps("🧪 检测", "尿检快检阴性", "跳过", "确认")),
    (
        "drug test",
        "positive, one substance (alerts 3 staff)",
        taps("🧪 检测", "尿液", "快速", "阳性", "冰毒", "跳过", "今天", "跳过", "确认"),
    ),
    (
        "legal education",
        "one to one, a listed topic, today",
        taps("法制教育", "个别", "禁毒法律法规", "今天", "跳过", "确认"),
    ),
    ("thought report", "spoken, received today", taps("思想汇报", "今天", "口头", "跳过", "确认")),
    (
        "assessment",
        "quantitative, score and findings typed, class kept",
        (
            *taps("📊 评估", "量化", "今天"),
            ("type", "82"),
            ("type", "情况稳定"),
            *taps("保持现有分类", "确认"),
        ),
    ),
    ("help given", "allowance (低保), no detail, today", taps("🤝 帮扶", "低保", "跳过", "今天", "确认")),
    ("case note", "one typed note", (*taps("工作记录"), ("type", "电话提醒周五尿检"), *taps("确认"))),
    (
        "registration (报到)",
        "at the community office, today",
        taps("报到登记", "今天", "工作办公室", "跳过", "确认"),
    ),
    (
        "counselling (心理辅导)",
        "by the team's psychologist: one to one, today",
        taps("心理辅导", "今天", "个体面询", "情绪疏导", "情况平稳", "跳过", "确认"),
    ),
    (
        "meeting booked (约见)",
        "📅 on the card, then a slot (place: last one, or home)",
        taps("📅 约见", "周五 3/6 14:30"),
    ),
    (
        "status change (状态变更)",
        "失联 reported today, the reason typed (police confirm it)",
        (*taps("🔄 状态变更", "失联", "今天"), ("type", "连续两周联系不上，家属不知去向"), *taps("确认")),
    ),
)
PSYCHOLOGIST = USER + 4
BY = {"counselling (心理辅导)": PSYCHOLOGIST}  # paths another member of the care team takes


@dataclass
class Count:
    taps: int = 0
    typed: int = 0
    sent: int = 0
    edits: int = 0


@dataclass
class Driver:
    """One worker at the neutral core: types and taps, and counts both sides."""

    core: Core
    last: list[Action] = field(default_factory=list)
    ids: count = field(default_factory=lambda: count(1))
    tally: Count = field(default_factory=Count)
    user: int = USER

    async def _handle(self, kind: InKind, **fields: object) -> None:
        n = next(self.ids)
        user = self.user
        incoming = Incoming(BOT, n, kind, user, user, language_code="zh-hans", message_id=n, **fields)  # type: ignore[arg-type]
        self.last = await self.core.handle(incoming)
        self.tally.sent += sum(isinstance(a, Send) for a in self.last)
        self.tally.edits += sum(isinstance(a, Edit) for a in self.last)

    async def type(self, text: str) -> None:
        self.tally.typed += 1
        await self._handle(InKind.message, text=text)

    async def tap(self, label: str) -> None:
        self.tally.taps += 1
        await self._handle(
            InKind.callback, callback_id=f"q{next(self.ids)}", callback_data=self._button(label)
        )

    async def press_data(self, data: str) -> None:
        await self._handle(InKind.callback, callback_id=f"q{next(self.ids)}", callback_data=data)

    def _button(self, label: str) -> str:
        for action in reversed(self.last):
            for row in getattr(action, "buttons", ()):
                for button in row:
                    if label in button.text:
                        return button.data
        raise LookupError(f"no button {label!r} in the last answer")


def _city(db: Database) -> int:
    """One grid, a worker (linked to USER) with cadre, police and supervisor, and one person; its id."""
    with db.unit_of_work() as s:
        upsert_area(s, AreaData("B-CITY", "示例市", AreaLevel.city))
        upsert_area(s, AreaData("B-COM", "示例社区", AreaLevel.community, "B-CITY"))
        upsert_area(s, AreaData("B-G1", "示例网格", AreaLevel.grid, "B-COM"))
        staff = {}
        for n, (code, role, area) in enumerate(
            (
                ("B-W1", Role.grid_worker, "B-G1"),
                ("B-C", Role.cadre, "B-COM"),
                ("B-P", Role.police, "B-COM"),
                ("B-S", Role.supervisor, "B-CITY"),
                ("B-Y", Role.psychologist, "B-COM"),
            )
        ):
            staff[code], _ = upsert_worker(s, WorkerData(code, code, role, area))
            staff[code].telegram_user_id = USER + n
        person = bench_person(s, "B-P001", "示例对象")
        assign(s, person, staff["B-C"], CaseRole.cadre)
        assign(s, person, staff["B-P"], CaseRole.police)
        assign(s, person, staff["B-Y"], CaseRole.psychologist)
        return person.id


def bench_person(session: Session, code: str, name: str) -> Person:
    """A person in the community programme of grid B-G1, B-W1 responsible for them."""
    data = PersonData(
        code,
        name,
        "B-G1",
        Status.community_detox,
        Colour.blue,
        programme_start=date(2025, 1, 6),
        programme_end=date(2028, 1, 5),
        responsible_worker_code="B-W1",
    )
    person, _ = upsert_person(session, data, keys=KEYS, actor=Actor.cli(), now=NOW)
    return person


def _records(db: Database, report: str = "") -> int:
    """What a path saves: records; appointments or case changes for those paths."""
    table = {"meeting booked (约见)": Appointment, "status change (状态变更)": CaseChange}.get(report, Record)
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


async def measure(path: Path) -> tuple[Count, list[tuple[str, str, Count]]]:
    """The counts for choosing the person, then per report path."""
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    try:
        person_id = _city(db)
        renderer = Renderer(ZoneInfo("Asia/Shanghai"))
        core = Core(
            router=build_router(), renderer=renderer, clock=FrozenClock(NOW), run_unit=db.run, keys=KEYS
        )
        choose = Driver(core)
        await choose.type("/my")
        await choose.tap("B-P001")
        rows = []
        for report, description, steps in PATHS:
            driver = Driver(core, ids=choose.ids, user=BY.get(report, USER))
            await driver.press_data(f"p:{person_id}")  # back to the card: not counted
            driver.tally = Count()
            before = _records(db, report)
            for kind, value in steps:
                await (driver.tap(value) if kind == "tap" else driver.type(value))
            if _records(db, report) != before + 1:
                raise RuntimeError(f"{report} ({description}) did not save exactly one record")
            rows.append((report, description, driver.tally))
        return choose.tally, rows
    finally:
        db.dispose()


def table(choose: Count, rows: list[tuple[str, str, Count]]) -> str:
    lines = [
        "| report | shortest routine path (after the card is open) | taps | typed | bot messages "
        "| edits in place |",
        "|---|---|---:|---:|---:|---:|",
        f"| (choosing the person) | `/my`, tap the person: the card opens | {choose.taps} | {choose.typed} "
        f"| {choose.sent} | {choose.edits} |",
    ]
    lines += [f"| {r} | {d} | {c.taps} | {c.typed} | {c.sent} | {c.edits} |" for r, d, c in rows]
    return "\n".join(lines)


def report() -> str:
    """The markdown table (bench/__main__.py includes it in the benchmark report)."""
    with tempfile.TemporaryDirectory(prefix="gridcare-taps-") as folder:
        choose, rows = asyncio.run(measure(Path(folder) / "taps.db"))
    return table(choose, rows)


if __name__ == "__main__":
    print(report())

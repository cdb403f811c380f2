"""Taps of a group session (issue 14.5): `python -m bench.taps_group` prints its row of the tap table.

The same driver as bench.taps (the neutral core on a scratch SQLite file): a grid worker with ten
people types `/group`, ticks everyone, and files one concentrated legal education for all of them
along the shortest path; the run checks that it saved exactly ten records.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.taps import KEYS, NOW, Count, Driver, _city, _records, bench_person
from bot.db import Database
from bot.migrate import upgrade
from handlers.core import Core
from handlers.render import Renderer
from handlers.setup import build_router
from models.clock import FrozenClock
from models.people import CaseRole, Worker
from models.services.directory.entries import assign

PEOPLE = 10
PATH = ("全选", "下一步", "集中法制教育", "禁毒法律法规", "今天", "跳过", "确认")


def _more_people(db: Database, n: int) -> None:
    """Nine more people in B-W1's caseload (bench.taps' city has one)."""
    with db.unit_of_work() as s:
        worker = s.query(Worker).filter_by(code="B-W1").one()
        for i in range(2, n + 1):
            person = bench_person(s, f"B-P{i:03d}", f"示例对象{i}")
            assign(s, person, worker, CaseRole.responsible)


async def measure(path: Path) -> Count:
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    try:
        _city(db)
        _more_people(db, PEOPLE)
        core = Core(
            router=build_router(),
            renderer=Renderer(ZoneInfo("Asia/Shanghai")),
            clock=FrozenClock(NOW),
            run_unit=db.run,
            keys=KEYS,
        )
        driver = Driver(core)
        before = _records(db)
        await driver.type("/group")
        for label in PATH:
            await driver.tap(label)
        if _records(db) != before + PEOPLE:
            raise RuntimeError(f"the group session did not save exactly {PEOPLE} records")
        return driver.tally
    finally:
        db.dispose()


def row() -> str:
    """The tap table's row for a group session of ten."""
    with tempfile.TemporaryDirectory(prefix="gridcare-taps-") as folder:
        c = asyncio.run(measure(Path(folder) / "taps.db"))
    path = f"`/group`, everyone ({PEOPLE}), legal education, a listed topic, today"
    return f"| group session | {path} | {c.taps} | {c.typed} | {c.sent} | {c.edits} |"


if __name__ == "__main__":
    print(row())

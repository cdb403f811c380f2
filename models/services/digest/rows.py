"""What the digest makes of obligation rows: tallies by state, the overdue people, the chart's bars.

Pure aggregation over the rows `obligation_rows` returned (one pass, no query per person); the
only queries are the subtree's areas and the codes of the few workers named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel, within
from models.people import Worker
from models.schedule import Obligation, State
from models.services.digest.scope import AreaRef
from models.services.obligations.due import ObligationRow

_ORDER = {obligation: n for n, obligation in enumerate(Obligation)}


@dataclass(frozen=True)
class Tally:
    """Obligation items by state; rates in whole percent (None when nothing is owed)."""

    total: int = 0
    done: int = 0
    due: int = 0
    overdue: int = 0

    @property
    def done_rate(self) -> int | None:
        return None if not self.total else round(100 * self.done / self.total)

    @property
    def overdue_rate(self) -> int | None:
        return None if not self.total else round(100 * self.overdue / self.total)


def tally(rows: Iterable[ObligationRow]) -> Tally:
    by_state = dict.fromkeys(State, 0)
    for row in rows:
        by_state[row.state] += 1
    return Tally(sum(by_state.values()), by_state[State.done], by_state[State.due], by_state[State.overdue])


@dataclass(frozen=True)
class OverduePerson:
    person_id: int
    person_code: str
    worker_id: int | None
    worker_code: str | None
    days_overdue: int
    obligations: tuple[str, ...]
    worker_name: str | None = None  # shown masked beside the code (张**（W-001））


@dataclass(frozen=True)
class Bar:
    """One child area's (or, at the lowest level, one worker's) completion of the chart's obligations.

    `kind` is "area", "worker", "own" (people attached to the area itself) or "unassigned".
    """

    kind: str
    id: int | None
    code: str
    name: str
    total: int
    done: int
    overdue: int

    @property
    def rate(self) -> int | None:
        return None if not self.total else round(100 * self.done / self.total)


def subtree_areas(session: Session, path: str) -> dict[int, tuple[str, str, str, AreaLevel]]:
    """id → (code, name, path, level) of every area in the subtree: a few hundred rows, not persons."""
    query = select(Area.id, Area.code, Area.name, Area.path, Area.level).where(within(Area.path, path))
    return {area_id: (code, name, at, level) for area_id, code, name, at, level in session.execute(query)}


def _worker_codes(session: Session, ids: Iterable[int | None]) -> dict[int | None, tuple[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = select(Worker.id, Worker.code, Worker.name).where(Worker.id.in_(wanted))
    return {row[0]: (row[1], row[2]) for row in session.execute(query)}


def overdue_people(session: Session, rows: Sequence[ObligationRow]) -> list[OverduePerson]:
    """Everyone with an overdue item: longest overdue first, then by code."""
    worst: dict[int, list[ObligationRow]] = defaultdict(list)
    for row in rows:
        if row.state == State.overdue:
            worst[row.person_id].append(row)
    workers = _worker_codes(session, (items[0].worker_id for items in worst.values()))
    people = []
    for items in worst.values():
        first = items[0]
        code, name = workers.get(first.worker_id, (None, None))
        obligations = tuple(
            dict.fromkeys(
                str(r.obligation)
                for r in sorted(items, key=lambda r: (-r.days_overdue, _ORDER[r.obligation]))
            )
        )
        days = max(r.days_overdue for r in items)
        people.append(
            OverduePerson(first.person_id, first.person_code, first.worker_id, code, days, obligations, name)
        )
    return sorted(people, key=lambda p: (-p.days_overdue, p.person_code))


def completion_bars(
    session: Session,
    area: AreaRef,
    areas: dict[int, tuple[str, str, str, AreaLevel]],
    rows: Sequence[ObligationRow],
) -> tuple[tuple[Bar, ...], bool]:
    """Completion per child area; at the lowest level (no child areas), per responsible worker."""
    children = {
        i: a for i, a in areas.items() if a[2] != area.path and a[2].count("/") == area.path.count("/") + 1
    }
    if not children:
        return _worker_bars(session, rows), True
    child_of_path = {a[2]: i for i, a in children.items()}
    groups: dict[int | None, list[ObligationRow]] = defaultdict(list)
    for row in rows:
        path = areas[row.area_id][2]
        head = path[: path.find("/", len(area.path)) + 1] if path != area.path else None
        groups[child_of_path.get(head) if head else None].append(row)
    bars = [
        _bar("area", child_id, code, name, groups.get(child_id, []))
        for child_id, (code, name, _path, _level) in sorted(children.items(), key=lambda c: c[1][0])
    ]
    if groups.get(None):
        bars.append(_bar("own", area.id, area.code, area.name, groups[None]))
    return tuple(bars), False


def _worker_bars(session: Session, rows: Sequence[ObligationRow]) -> tuple[Bar, ...]:
    groups: dict[int | None, list[ObligationRow]] = defaultdict(list)
    for row in rows:
        groups[row.worker_id].append(row)
    workers = _worker_codes(session, groups)
    bars = [
        _bar("worker", worker_id, *workers.get(worker_id, (str(worker_id), "")), group)
        for worker_id, group in groups.items()
        if worker_id is not None
    ]
    bars.sort(key=lambda b: b.code)
    if groups.get(None):
        bars.append(_bar("unassigned", None, "-", "", groups[None]))
    return tuple(bars)


def _bar(kind: str, bar_id: int | None, code: str, name: str, rows: Sequence[ObligationRow]) -> Bar:
    t = tally(rows)
    return Bar(kind, bar_id, code, name, t.total, t.done, t.overdue)

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
from models.services.sql import chunks

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
    """id → (code, name, path, level) of every area in the subtree: a city's few hundred rows, a
    country's 67,000 (on the table: Core rows, not processed by the ORM)."""
    areas = Area.__table__
    query = select(areas.c.id, areas.c.code, areas.c.name, areas.c.path, areas.c.level).where(
        within(areas.c.path, path)
    )
    return {area_id: (code, name, at, level) for area_id, code, name, at, level in session.execute(query)}


def _worker_codes(session: Session, ids: Iterable[int | None]) -> dict[int | None, tuple[str, str]]:
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int | None, tuple[str, str]] = {}
    for chunk in chunks(wanted):
        query = select(Worker.id, Worker.code, Worker.name).where(Worker.id.in_(chunk))
        found.update((row[0], (row[1], row[2])) for row in session.execute(query))
    return found


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


def child_areas(area: AreaRef, areas: dict[int, tuple[str, str, str, AreaLevel]]) -> dict[int, str]:
    """id → path of the areas right below `area` (none: it is the lowest level)."""
    depth = area.path.count("/") + 1
    return {i: a[2] for i, a in areas.items() if a[2] != area.path and a[2].count("/") == depth}


def area_bars(
    area: AreaRef,
    areas: dict[int, tuple[str, str, str, AreaLevel]],
    tallies: dict[int, Tally],
) -> tuple[Bar, ...]:
    """Completion per child area, from each area's own tally (people of the area itself: "own")."""
    children = child_areas(area, areas)
    child_of_path = {path: i for i, path in children.items()}
    summed: dict[int | None, list[int]] = {}
    for area_id, t in tallies.items():
        path = areas[area_id][2]
        head = path[: path.find("/", len(area.path)) + 1] if path != area.path else None
        total = summed.setdefault(child_of_path.get(head) if head else None, [0, 0, 0])
        total[0] += t.total
        total[1] += t.done
        total[2] += t.overdue
    bars = [
        Bar("area", child_id, areas[child_id][0], areas[child_id][1], *summed.get(child_id, (0, 0, 0)))
        for child_id in sorted(children, key=lambda c: areas[c][0])
    ]
    if summed.get(None, [0])[0]:
        bars.append(Bar("own", area.id, area.code, area.name, *summed[None]))
    return tuple(bars)


def worker_bars(session: Session, rows: Sequence[ObligationRow]) -> tuple[Bar, ...]:
    """Completion per responsible worker (the lowest level's chart), from the rows of its area."""
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

"""The digest's obligation figures, counted by the database from the kept items (issue 15).

Per area of a subtree: for each obligation, the items owed, done and overdue, all of them and those
whose period ends by the chart's horizon; and how many people have an overdue item, and how many of
them are overdue long enough to be named to the supervisor. A person lives in one area, so the
figures of any area are the sum over its subtree's areas: the daily job counts the widest subtree
once and every supervisor below sums their part. No row per item reaches Python (a country holds
millions). Who is overdue, and since when, is read off each person's stamp (its earliest open due
date, kept with the items), one row per person rather than their items grouped.

Persons whose kept items were worked out for a later day than the one asked about (a past day's
digest) are worked out from their records in memory, as `obligation_rows` does, and counted the
same way in Python (`count_rows`), which is also the reference the tests hold the SQL to.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models.areas import subtree_ids
from models.obligation_state import ObligationItem, ObligationStamp
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, Person
from models.policy import Policy
from models.schedule import Obligation, State
from models.services.digest.rows import OverduePerson, Tally, overdue_people
from models.services.obligations.due import ObligationRow, obligation_rows
from models.services.obligations.state import settle
from models.services.sql import dialect_of, sum_of

_OBLIGATIONS = {o.value: o for o in Obligation}

# On the tables, not the mapped classes: run as Core, a country's 700,000 grouped rows are not
# processed by the ORM, nor are the rows of `obligation_rows` given a condition from here.
_items, _persons, _stamps = ObligationItem.__table__, Person.__table__, ObligationStamp.__table__
_assignments = CareAssignment.__table__

# One obligation's items in one area: owed, done, overdue; then the same of those whose period ends
# by the chart's horizon.
Items = tuple[Obligation, int, int, int, int, int, int]


@dataclass
class AreaCounts:
    """One area's obligation figures."""

    items: list[Items] = field(default_factory=list)
    people_overdue: int = 0  # people with an overdue item
    escalated: int = 0  # people overdue at least the policy's days


@dataclass(frozen=True)
class KeptCounts:
    """A subtree's obligation figures per area, for one day and the horizon of its chart."""

    areas: dict[int, AreaCounts]
    past: bool  # some persons were worked out in memory (their kept items are for a later day)

    def part(self, areas: Iterable[int]) -> KeptCounts:
        """The figures of these areas only (a subtree of the counted one)."""
        return KeptCounts({a: self.areas[a] for a in areas if a in self.areas}, self.past)

    def tallies(self) -> Tallies:
        """In one pass: each obligation's items, and each area's items whose period ends by the
        horizon (the chart's)."""
        by_obligation: dict[Obligation, list[int]] = {}
        chart: dict[int, Tally] = {}
        for area, counts in self.areas.items():
            total = done = overdue = 0
            for obligation, n, d, o, charted, charted_done, charted_overdue in counts.items:
                figures = by_obligation.setdefault(obligation, [0, 0, 0])
                figures[0], figures[1], figures[2] = figures[0] + n, figures[1] + d, figures[2] + o
                total, done, overdue = total + charted, done + charted_done, overdue + charted_overdue
            chart[area] = _tally(total, done, overdue)
        return Tallies({o: _tally(*figures) for o, figures in by_obligation.items()}, chart)

    @property
    def people_overdue(self) -> int:
        return sum(c.people_overdue for c in self.areas.values())

    @property
    def escalated(self) -> int:
        return sum(c.escalated for c in self.areas.values())


def _tally(total: int, done: int, overdue: int) -> Tally:
    return Tally(total, done, total - done - overdue, overdue)


@dataclass(frozen=True)
class Tallies:
    """A subtree's items by state: per obligation, and per area those of the chart."""

    by_obligation: dict[Obligation, Tally]
    chart_by_area: dict[int, Tally]

    def of(self, obligations: Collection[Obligation]) -> Tally:
        return _sum(self.by_obligation.get(o, Tally()) for o in obligations)

    @property
    def chart(self) -> Tally:
        return _sum(self.chart_by_area.values())


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = done = overdue = 0
    for t in tallies:
        total, done, overdue = total + t.total, done + t.done, overdue + t.overdue
    return _tally(total, done, overdue)


def _people(path: str) -> list[ColumnElement[bool]]:
    """The persons a digest counts: managed, living in the subtree (as `obligation_rows` reads them)."""
    return [
        _persons.c.status.in_(ACTIVE_STATUSES),
        _persons.c.area_id.in_(subtree_ids(path)),
    ]


def _kept(*columns: Any, today: date, past: bool) -> Any:
    """A select of kept items joined to their person; if some persons' items are kept for a later
    day (`past`), only the others' (those are worked out in memory)."""
    query = select(*columns).select_from(_items).join(_persons, _persons.c.id == _items.c.person_id)
    if not past:
        return query
    return query.join(_stamps, _stamps.c.person_id == _persons.c.id).where(_stamps.c.computed_for <= today)


def _stamped(*columns: Any, today: date, past: bool) -> Any:
    """A select of kept stamps (one per person: their earliest open due date) joined to their
    person; if some persons' are kept for a later day (`past`), only the others'."""
    query = select(*columns).select_from(_stamps).join(_persons, _persons.c.id == _stamps.c.person_id)
    return query.where(_stamps.c.computed_for <= today) if past else query


def _past(today: date) -> ColumnElement[bool]:
    """The persons whose kept items are for a day after `today` (worked out in memory instead)."""
    return _persons.c.id.in_(select(_stamps.c.person_id).where(_stamps.c.computed_for > today))


def count_items(session: Session, path: str, today: date, policy: Policy, *, horizon: date) -> KeptCounts:
    """Every obligation figure of the subtree at `path` on `today`, per area, and those of the
    items whose period ends by `horizon` (the chart's); the kept items made to hold for `today` first.

    Grouped by area and obligation: at country size 374,000 groups (with the period's end as well,
    737,000, and the grouping twice as long)."""
    people = _people(path)
    in_memory = settle(session, select(_persons.c.id).where(*people), today, policy)
    is_done = _items.c.done >= _items.c.required
    is_overdue = ~is_done & (_items.c.due_date < today)
    in_chart = _items.c.period_end <= horizon
    past = bool(in_memory)
    items = (
        _kept(
            _persons.c.area_id,
            _items.c.obligation,
            func.count(),
            sum_of(is_done),
            sum_of(is_overdue),
            sum_of(in_chart),
            sum_of(in_chart & is_done),
            sum_of(in_chart & is_overdue),
            today=today,
            past=past,
        )
        .where(*people)
        .group_by(_persons.c.area_id, _items.c.obligation)
    )
    first_open_due = _stamps.c.first_open_due
    escalate_by = today - timedelta(days=policy.escalate_to_digest_after_days)
    late = (
        _stamped(
            _persons.c.area_id, func.count(), sum_of(first_open_due <= escalate_by), today=today, past=past
        )
        .where(*people, first_open_due < today)
        .group_by(_persons.c.area_id)
    )
    counts = KeptCounts({}, past)
    for area, obligation, *figures in session.execute(items):
        n, done, overdue, charted, charted_done, charted_overdue = map(int, figures)
        counts.areas.setdefault(area, AreaCounts()).items.append(
            (_OBLIGATIONS[obligation], n, done, overdue, charted, charted_done, charted_overdue)
        )
    for area, people_overdue, escalated in session.execute(late):
        area_counts = counts.areas.setdefault(area, AreaCounts())
        area_counts.people_overdue, area_counts.escalated = int(people_overdue), int(escalated)
    if in_memory:
        rows = obligation_rows(session, today=today, policy=policy, area_path=path, where=_past(today))
        _add(counts, count_rows(rows, policy.escalate_to_digest_after_days, horizon=horizon))
    return counts


def count_rows(rows: Iterable[ObligationRow], escalate_after_days: int, *, horizon: date) -> KeptCounts:
    """The same figures counted from obligation rows, in Python."""
    groups: dict[tuple[int, Obligation], list[int]] = {}
    worst: dict[int, tuple[int, int]] = {}  # person → (area, most days overdue)
    for row in rows:
        counted = groups.setdefault((row.area_id, row.obligation), [0, 0, 0, 0, 0, 0])
        figures = (1, int(row.state is State.done), int(row.state is State.overdue))
        in_chart = row.period_end <= horizon
        for i, figure in enumerate(figures):
            counted[i] += figure
            if in_chart:
                counted[i + 3] += figure
        if row.state is State.overdue:
            most = max(row.days_overdue, worst.get(row.person_id, (0, 0))[1])
            worst[row.person_id] = (row.area_id, most)
    counts = KeptCounts({}, False)
    for (area, obligation), (n, d, o, charted, charted_done, charted_overdue) in groups.items():
        counts.areas.setdefault(area, AreaCounts()).items.append(
            (obligation, n, d, o, charted, charted_done, charted_overdue)
        )
    for area, days in worst.values():
        area_counts = counts.areas.setdefault(area, AreaCounts())
        area_counts.people_overdue += 1
        area_counts.escalated += days >= escalate_after_days
    return counts


def _add(into: KeptCounts, more: KeptCounts) -> None:
    """Add the figures of other persons (areas may repeat: an area's groups are summed when read)."""
    for area, counts in more.areas.items():
        mine = into.areas.setdefault(area, AreaCounts())
        mine.items.extend(counts.items)
        mine.people_overdue += counts.people_overdue
        mine.escalated += counts.escalated


def overdue_in(
    session: Session,
    path: str,
    today: date,
    policy: Policy,
    *,
    at_least_days: int = 1,
    limit: int | None = None,
    workers: Sequence[int] | None = None,
    past: bool = True,
) -> list[OverduePerson]:
    """The people of the subtree overdue at least `at_least_days`, longest overdue first, then by
    code: the first `limit` of them (all: None); only those of these responsible `workers`, if given.

    The database picks them by their stamps (each person's earliest open due date); `obligation_rows`
    then reads those people's rows.
    `past=False` says that nobody's kept items are for a later day (`KeptCounts.past`), which
    spares looking for such persons.
    """
    if limit == 0 or (workers is not None and not workers):
        return []
    narrow: list[ColumnElement[bool]] = []
    if workers is not None:
        responsible = select(_assignments.c.person_id).where(
            _assignments.c.worker_id.in_(list(workers)), _assignments.c.case_role == CaseRole.responsible
        )
        narrow.append(_persons.c.id.in_(responsible))
    # Codes in code-point order, as Python sorts them (PostgreSQL's collation may not be).
    code = _persons.c.code.collate("C") if dialect_of(session) == "postgresql" else _persons.c.code
    first_open_due = _stamps.c.first_open_due
    picked = _stamped(_stamps.c.person_id, today=today, past=past).where(
        *_people(path), *narrow, first_open_due <= today - timedelta(days=max(at_least_days, 1))
    )
    if limit is not None:
        picked = picked.order_by(first_open_due, code).limit(limit)
    # A few (the first ones, or some workers' people): their ids, and the rows' query goes by the
    # key; everyone overdue (an export): the query itself.
    few = limit is not None or workers is not None
    chosen = _persons.c.id.in_(list(session.scalars(picked)) if few else picked)
    rows = obligation_rows(
        session, today=today, policy=policy, area_path=path, where=and_(*narrow, chosen), open_only=True
    )
    if past:  # and those worked out in memory, all of them (picked above from the kept stamps only)
        later = and_(*narrow, _past(today))
        rows += obligation_rows(
            session, today=today, policy=policy, area_path=path, where=later, open_only=True
        )
    found = [p for p in overdue_people(session, rows) if p.days_overdue >= at_least_days]
    if workers is not None:
        found = [p for p in found if p.worker_id in workers]
    return found[:limit]

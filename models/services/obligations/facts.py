"""Per person, the facts the schedule depends on, for everyone in scope at once (SQL, set-based).

Part of models.services.obligations.sql: one CTE per kind of fact, joined into `features`,
one row per person:

* `people`: the persons in scope with their programme range clipped to each window;
* `colours`: the colour in force on each decisive day, from the colour history (window functions:
  each change is in force until the next one);
* `done`: the satisfying records per obligation and window (conditional aggregation);
* `paused`: pause days inside each window, overlapping pauses merged first (gaps and islands).

Dates are compared as day numbers (days since 1970-01-01) so that arithmetic on them is the same
integer arithmetic on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    SQLColumnExpression,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from models.casework import Pause
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, ColourChange, Person
from models.records import FACE_TO_FACE, NOT_MET, TAKEN_RESULTS, AssessmentKind, Record, RecordKind
from models.schedule import Obligation
from models.services.obligations.plan import Plan, Window, day_number, local_midnight, years_back

Expr = ColumnElement[Any]


# -- dialect helpers -----------------------------------------------------------------------------


def day_of_date(column: SQLColumnExpression[Any], dialect: str) -> Expr:
    """A DATE column as a day number."""
    if dialect == "postgresql":
        return column - literal_column("DATE '1970-01-01'")
    return cast(func.julianday(column) - 2440587.5, Integer)


def local_day_of(moment: SQLColumnExpression[Any], dialect: str, tz_name: str, offset_minutes: int) -> Expr:
    """A UTC timestamp column as the day number of its local date.

    PostgreSQL converts with the time-zone database; SQLite has none and adds the zone's offset on
    the plan's day (exact for China, which keeps no daylight saving time).
    """
    if dialect == "postgresql":
        return cast(func.timezone(tz_name, moment), Date) - literal_column("DATE '1970-01-01'")
    return cast(func.julianday(moment, f"{offset_minutes:+d} minutes") - 2440587.5, Integer)


def greatest(a: Expr, b: Expr | int) -> Expr:
    return case((a > b, a), else_=b)


def least(a: Expr, b: Expr | int) -> Expr:
    return case((a < b, a), else_=b)


# -- which records satisfy what (obligation_of, in SQL) --------------------------------------------

_DIRECT = {
    Obligation.education: RecordKind.education,
    Obligation.thought_report: RecordKind.thought_report,
    Obligation.counselling: RecordKind.counselling,
    Obligation.registration: RecordKind.registration,
}
_ASSESSMENT = {
    Obligation.quantitative_assessment: AssessmentKind.quantitative,
    Obligation.comprehensive_assessment: AssessmentKind.comprehensive,
}


def satisfies(obligation: Obligation) -> Expr:
    """SQL: the record (Record) satisfies `obligation` (models.schedule.obligation_of)."""
    if obligation is Obligation.meeting:
        return and_(
            Record.kind == RecordKind.visit,
            Record.subkind.in_([v.value for v in FACE_TO_FACE]),
            or_(Record.result.is_(None), Record.result != NOT_MET),  # 未见到本人 is an attempt, no meeting
        )
    if obligation is Obligation.drug_test:
        return and_(Record.kind == RecordKind.drug_test, Record.result.in_([r.value for r in TAKEN_RESULTS]))
    if obligation in _ASSESSMENT:
        return and_(Record.kind == RecordKind.assessment, Record.subkind == _ASSESSMENT[obligation].value)
    return Record.kind == _DIRECT[obligation]


# -- the statement ---------------------------------------------------------------------------------


class FactsBuilder:
    """Builds the per-person CTEs for one plan (see the module docstring)."""

    def __init__(self, plan: Plan, dialect: str, tz: ZoneInfo) -> None:
        self.plan, self.dialect, self.tz = plan, dialect, tz
        noon = datetime.combine(plan.today, time(12))
        offset = tz.utcoffset(noon)
        self.offset = int(offset.total_seconds() // 60) if offset is not None else 0
        self.today_n = day_number(plan.today)

    def people(self, where: Sequence[Expr]) -> Any:
        """The persons in scope, and per window the part of it inside their programme (day numbers)."""
        # The other parts select their rows by this plain subquery, not by the CTE: the planner
        # knows the persons table's statistics, so a city gets a hash join and a caseload an index.
        self.ids = select(Person.id).where(Person.status.in_(ACTIVE_STATUSES), *where)
        responsible = (
            select(func.min(CareAssignment.worker_id))
            .where(CareAssignment.person_id == Person.id, CareAssignment.case_role == CaseRole.responsible)
            .scalar_subquery()
        )
        base = (
            select(
                Person.id,
                Person.code,
                Person.area_id,
                Person.status,
                Person.colour,
                Person.programme_start,
                day_of_date(Person.programme_start, self.dialect).label("ps"),
                day_of_date(Person.programme_end, self.dialect).label("pe"),
                day_of_date(Person.release_date, self.dialect).label("rel"),
                responsible.label("worker_id"),
            )
            .where(Person.status.in_(ACTIVE_STATUSES), *where)
            .subquery("base")
        )
        spans = []
        for w in self.plan.windows:
            lo, hi = day_number(w.start), day_number(w.end)
            spans.append(case((base.c.ps > lo, base.c.ps), else_=lo).label(f"lo{w.id}"))  # NULL > lo: lo
            spans.append(case((base.c.pe < hi, base.c.pe), else_=hi).label(f"hi{w.id}"))
        columns = [c for c in base.c if c.name not in ("ps", "pe")]
        return select(*columns, *spans).cte("people").prefix_with("MATERIALIZED")

    def colours(self, people: Any) -> Any:
        """Per person, the colour in force on each decisive day (NULL: no history, use the current)."""
        order = (ColourChange.changed_at, ColourChange.id)
        changes = (
            select(
                ColourChange.person_id,
                ColourChange.to_colour,
                ColourChange.changed_at,
                func.lead(ColourChange.changed_at)
                .over(partition_by=ColourChange.person_id, order_by=order)
                .label("next_at"),
                func.row_number().over(partition_by=ColourChange.person_id, order_by=order).label("rn"),
            )
            .where(ColourChange.person_id.in_(self.ids))
            .subquery("changes")
        )
        columns = []
        for i, day in enumerate(self.plan.decisive):
            bound = local_midnight(day + timedelta(days=1), self.tz)
            in_force = or_(
                and_(
                    changes.c.changed_at < bound, or_(changes.c.next_at.is_(None), changes.c.next_at >= bound)
                ),
                and_(
                    changes.c.rn == 1, changes.c.changed_at >= bound
                ),  # before the first change: the first colour
            )
            columns.append(func.max(case((in_force, changes.c.to_colour))).label(f"c{i}"))
        return select(changes.c.person_id, *columns).group_by(changes.c.person_id).cte("colours")

    def done(self, people: Any) -> tuple[Any, dict[tuple[Obligation, int], str]]:
        """Per person, satisfying records per (obligation, window): conditional aggregation.

        Each obligation reads only the records of its own windows (a weekly meeting the last two
        weeks, a yearly assessment two years): an index range per (person, kind) instead of every
        record of the longest lookback, so the cost follows what is counted, not years of history.
        """
        plans = self.plan.obligations
        kinds = case(*[(satisfies(o.obligation), n) for n, o in enumerate(plans)], else_=-1)
        names: dict[tuple[Obligation, int], str] = {}
        counted: list[tuple[int, Window, str]] = []  # (obligation plan, window, column)
        wanted = []
        for n, o in enumerate(plans):
            windows = [c.window for c in (*o.current, *o.previous, *(c for group in o.older for c in group))]
            if not windows:
                continue
            lo, hi = min(w.lo for w in windows), max(w.hi for w in windows)
            wanted.append(and_(satisfies(o.obligation), Record.occurred_at >= lo, Record.occurred_at < hi))
            for w in windows:
                if (o.obligation, w.id) not in names:
                    names[(o.obligation, w.id)] = name = f"d{len(names)}"
                    counted.append((n, w, name))
        records = (
            select(Record.person_id, Record.occurred_at, kinds.label("k"))
            .where(Record.person_id.in_(self.ids), Record.voided.is_(False), or_(false(), *wanted))
            .subquery("counted")
        )
        columns = [
            func.count(
                case((and_(records.c.k == n, records.c.occurred_at >= w.lo, records.c.occurred_at < w.hi), 1))
            ).label(name)
            for n, w, name in counted
        ]
        query = select(records.c.person_id, *columns).group_by(records.c.person_id)
        return query.cte("done"), names

    def paused(self, people: Any) -> Any:
        """Per person, the days of each window (within the programme) covered by some pause."""
        order = (Pause.starts_on, Pause.id)
        ranked = (
            select(
                Pause.id,
                Pause.person_id,
                Pause.starts_on,
                Pause.ends_on,
                func.max(Pause.ends_on)
                .over(partition_by=Pause.person_id, order_by=order, rows=(None, -1))
                .label("reach"),
            )
            .where(Pause.person_id.in_(self.ids))
            .subquery("ranked")
        )
        starts_island = case((or_(ranked.c.reach.is_(None), ranked.c.starts_on > ranked.c.reach), 1), else_=0)
        islands = select(
            ranked.c.person_id,
            ranked.c.starts_on,
            ranked.c.ends_on,
            func.sum(starts_island)
            .over(partition_by=ranked.c.person_id, order_by=(ranked.c.starts_on, ranked.c.id))
            .label("island"),
        ).subquery("islands")
        merged = (
            select(
                islands.c.person_id,
                day_of_date(func.min(islands.c.starts_on), self.dialect).label("s"),
                day_of_date(func.max(islands.c.ends_on), self.dialect).label("e"),
            )
            .group_by(islands.c.person_id, islands.c.island)
            .subquery("merged")
        )
        columns = []
        for w in self.plan.windows:
            lo, hi = people.c[f"lo{w.id}"], people.c[f"hi{w.id}"]
            overlap = least(merged.c.e, hi) - greatest(merged.c.s, lo) + 1
            columns.append(func.sum(case((overlap > 0, overlap), else_=0)).label(f"z{w.id}"))
        return (
            select(merged.c.person_id, *columns)
            .join(people, people.c.id == merged.c.person_id)
            .group_by(merged.c.person_id)
            .cte("paused")
        )

    def year(self, people: Any, day: Any) -> Expr:
        """The programme year on `day`, capped at plan.years_cap (PersonFacts.programme_year)."""
        start = people.c.programme_start
        whens = [(or_(start.is_(None), start > years_back(day, 1)), 1)]
        whens += [(start > years_back(day, k), k) for k in range(2, self.plan.years_cap)]
        return case(*whens, else_=self.plan.years_cap)

    def features(self, where: Sequence[Expr]) -> tuple[Any, dict[tuple[Obligation, int], str]]:
        people = self.people(where)
        colours, (done, names), paused = self.colours(people), self.done(people), self.paused(people)
        columns: list[Expr] = [
            people.c.id,
            people.c.code,
            people.c.area_id,
            people.c.worker_id,
            people.c.status,
            people.c.colour.label("colour_now"),
            people.c.rel,
        ]
        for i, day in enumerate(self.plan.decisive):
            columns.append(func.coalesce(colours.c[f"c{i}"], people.c.colour).label(f"c{i}"))
            if self.plan.years_cap:
                columns.append(self.year(people, day).label(f"y{i}"))
        for name in names.values():
            columns.append(func.coalesce(done.c[name], 0).label(name))
        for w in self.plan.windows:
            lo, hi = people.c[f"lo{w.id}"], people.c[f"hi{w.id}"]
            active = greatest(hi - lo + 1, 0) - func.coalesce(paused.c[f"z{w.id}"], 0)
            columns.append(case((2 * active > w.length, 1), else_=0).label(f"o{w.id}"))
        query = (
            select(*columns)
            .select_from(people)
            .outerjoin(colours, colours.c.person_id == people.c.id)
            .outerjoin(done, done.c.person_id == people.c.id)
            .outerjoin(paused, paused.c.person_id == people.c.id)
        )
        return query.cte("features"), names

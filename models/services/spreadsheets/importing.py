"""Importing the directory from spreadsheets: validate every row first (a plan), then write it all.

Headers and values may be English or Chinese. An import updates by code, so running the same file
twice creates nothing new; a column missing from the file leaves that field of existing records as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import SQLColumnExpression, select
from sqlalchemy.orm import Session, aliased

from models.areas import LEVEL_ORDER, Area, AreaLevel
from models.audit import Actor, audit
from models.base import Base
from models.crypto import KeyRing
from models.people import CareAssignment, ColourChange, Person, Status, Worker
from models.sealing import open_field
from models.services.directory.entries import (
    SENSITIVE_FIELDS,
    AreaData,
    PersonData,
    WorkerData,
    upsert_area,
    upsert_person,
    upsert_worker,
)
from models.services.spreadsheets.import_moves import Reassigned, reassigned_since, responsible_before
from models.services.spreadsheets.tables import (
    COLOUR_ZH,
    COLOURS,
    COLUMNS,
    LEVEL_ZH,
    LEVELS,
    ROLE_ZH,
    ROLES,
    STATUS_ZH,
    STATUSES,
    Column,
    ImportKind,
    Row,
    match_headers,
)
from models.services.sql import analyze, chunks
from models.validation import Cells, RowError, add_years_less_a_day, row_error

__all__ = ["ImportPlan", "ImportResult", "Reassigned", "RowError", "apply_import", "plan_import"]

Item = AreaData | WorkerData | PersonData

PROGRAMME_YEARS = 3  # community detox lasts three years from reporting (禁毒法)
PROGRESS_EVERY = 100
# the tables an import of each kind writes, whose planner statistics it refreshes afterwards
_WRITTEN: dict[ImportKind, tuple[type[Base], ...]] = {
    "areas": (Area,),
    "workers": (Worker,),
    "persons": (Person, ColourChange, CareAssignment),
}


@dataclass
class ImportPlan:
    """What an import would write and every problem found; `absent`: fields the file has no column for."""

    kind: ImportKind
    items: list[Item] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    absent: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    reassigned: tuple[Reassigned, ...] = ()


def plan_import(session: Session, kind: ImportKind, rows: list[dict[str, str]]) -> ImportPlan:
    """Validate every row (values, references, duplicates) and say what would be written; never writes."""
    columns = COLUMNS[kind]
    mapping, header_errors = _header_errors(columns, rows)
    absent = frozenset(c.field for c in columns if c.field not in mapping)
    plan = ImportPlan(kind, errors=header_errors, absent=absent)
    if any(c.required for c in columns if c.field in absent):
        return plan
    if not rows:
        plan.errors.append(row_error(1, "", "no data rows", "no_rows"))
        return plan
    cells = [Cells(_row_number(row, index), row, mapping, plan.errors) for index, row in enumerate(rows)]
    _PLANNERS[kind](session, cells, plan)
    plan.errors.sort(key=lambda error: error.row)
    return plan


def apply_import(
    session: Session,
    plan: ImportPlan,
    *,
    keys: KeyRing,
    actor: Actor,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write a checked plan through the upsert_* services; progress(n_done) every 100 rows and at the end."""
    if plan.errors:
        raise ValueError(f"the import plan has {len(plan.errors)} errors; nothing was written")
    created, reported = 0, -1
    moving = responsible_before(session, plan.items)
    for done, item in enumerate(plan.items, start=1):
        item = _keep_absent(session, item, plan.absent, keys)
        if isinstance(item, AreaData):
            _, new = upsert_area(session, item)
        elif isinstance(item, WorkerData):
            _, new = upsert_worker(session, item, actor=actor, now=now)
        else:
            _, new = upsert_person(session, item, keys=keys, actor=actor, now=now)
        created += new
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(reported := done)
    if progress is not None and reported != len(plan.items):
        progress(len(plan.items))
    updated = len(plan.items) - created
    reassigned = reassigned_since(session, moving)
    detail = f"created={created},updated={updated},reassigned={len(reassigned)}"
    audit(session, actor, "import", plan.kind, None, at=now, detail=detail)
    analyze(session, *_WRITTEN[plan.kind])  # a bulk write: the planner must not go on from empty tables
    return ImportResult(created=created, updated=updated, reassigned=reassigned)


def _keep_absent(session: Session, item: Item, absent: frozenset[str], keys: KeyRing) -> Item:
    """Fill fields the file had no column for from the existing record, so an import never blanks them."""
    names = absent & {f.name for f in fields(item)}
    tables: dict[type, type[Area | Worker | Person]] = {
        AreaData: Area,
        WorkerData: Worker,
        PersonData: Person,
    }
    model = tables[type(item)]
    record = session.scalar(select(model).where(model.code == item.code)) if names else None
    if not isinstance(record, Area | Worker | Person):  # None: no such record yet
        return item
    current = {name: _current(record, name, keys) for name in names}
    # Each value is the record's own for a field of the same name: the kind the field holds.
    kept: dict[str, Any] = {name: value for name, value in current.items() if value is not None}
    return replace(item, **kept)


def _current(record: Area | Worker | Person, name: str, keys: KeyRing) -> object:
    if name in SENSITIVE_FIELDS:
        return open_field(keys, record, name)
    return getattr(record, name, None)  # parent_code: kept by the plan; responsible worker: None leaves it


def _header_errors(
    columns: tuple[Column, ...], rows: list[dict[str, str]]
) -> tuple[dict[str, str], list[RowError]]:
    """field → header as written, and errors for unknown, repeated and missing required columns."""
    mapping, unknown, repeated = match_headers(columns, (h for row in rows for h in row))
    at = rows[0].header_row if rows and isinstance(rows[0], Row) else 1
    named = ", ".join(unknown)
    message = f"unknown column(s): {named}"
    errors = [row_error(at, named, message, "unknown_columns", columns=named)] if unknown else []
    errors += [
        row_error(at, header, f"same column as '{first}'", "same_column", first=first)
        for header, first in repeated.items()
    ]
    for column in columns:
        if column.required and column.field not in mapping:
            accepted = " / ".join(column.headers())
            message = f"required column missing ({accepted})"
            errors.append(row_error(at, column.field, message, "required_column", accepted=accepted))
    return mapping, errors


def _row_number(row: dict[str, str], index: int) -> int:
    return row.number if isinstance(row, Row) else index + 2


def existing_codes(session: Session, column: SQLColumnExpression[str], codes: set[str]) -> set[str]:
    """Which of these codes the column holds (queried in chunks, so a large file stays within bind limits)."""
    wanted = sorted(codes)
    found: set[str] = set()
    for chunk in chunks(wanted):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


_PARENT = aliased(Area, name="parent")  # built once: an alias is costly to set up


def area_index(session: Session, codes: set[str]) -> dict[str, tuple[AreaLevel, str | None]]:
    """code → (level, parent code) of the areas among `codes` that exist."""
    parent = _PARENT
    wanted = sorted(codes)
    found: dict[str, tuple[AreaLevel, str | None]] = {}
    for chunk in chunks(wanted):
        query = (
            select(Area.code, Area.level, parent.code)
            .outerjoin(parent, Area.parent_id == parent.id)
            .where(Area.code.in_(chunk))
        )
        found.update({code: (level, parent_code) for code, level, parent_code in session.execute(query)})
    return found


class AreaCells:
    """The area column of a file of workers or persons: an area's code, or its name as offices write it.

    A cell that is no area's code but exactly one area's name (所属网格「示例社区第一网格」) means
    that area; a name several areas share must be given as a code instead.
    """

    def __init__(self, session: Session, rows: list[Cells]) -> None:
        cells = {r.raw("area_code") for r in rows} - {""}
        self.codes = existing_codes(session, Area.code, cells)
        self.named: dict[str, str | None] = {}  # name → code; None: several areas have that name
        for chunk in chunks(sorted(cells - self.codes)):
            for name, code in session.execute(select(Area.name, Area.code).where(Area.name.in_(chunk))):
                self.named[name] = None if name in self.named else code

    def code_of(self, r: Cells) -> str | None:
        """The row's area code (None, with the row's error recorded, if there is none)."""
        cell = r.raw("area_code")
        if cell in self.named:
            code = self.named[cell]
            if code is None:
                r.error(
                    "area_code",
                    f"several areas are named '{cell}': give its code",
                    "area_ambiguous",
                    area=cell,
                )
            return code
        code = r.code("area_code", required=True)
        if code and code not in self.codes:
            r.error("area_code", f"area '{code}' not found", "area_missing", code=code)
            return None
        return code


def _plan_workers(session: Session, rows: list[Cells], plan: ImportPlan) -> None:
    areas = AreaCells(session, rows)
    seen: dict[str, int] = {}
    for r in rows:
        code, name = r.code("code", required=True), r.text("name", required=True)
        role, area = r.choice("role", ROLES, "role", ROLE_ZH, "角色"), areas.code_of(r)
        phone, hours = r.phone("work_phone"), r.text("office_hours")
        active = r.flag("active", default=True)
        r.once("code", code, seen)
        if r.ok and code and name and role and area:
            plan.items.append(WorkerData(code, name, role, area, phone, hours, active))


def _plan_persons(session: Session, rows: list[Cells], plan: ImportPlan) -> None:
    areas = AreaCells(session, rows)
    workers = existing_codes(session, Worker.code, {r.raw("responsible_worker_code") for r in rows})
    codes: dict[str, int] = {}
    id_numbers: dict[str, int] = {}
    for r in rows:
        code, name = r.code("code", required=True), r.text("name", required=True)
        id_number, phone = r.id_number("id_number"), r.phone("phone")
        address = r.text("address", max_length=200)
        area, worker = areas.code_of(r), r.code("responsible_worker_code")
        status = r.choice("status", STATUSES, "status", STATUS_ZH, "状态")
        colour = r.choice("colour", COLOURS, "colour", COLOUR_ZH, "风险等级")
        registered, signed = r.day("registered_on"), r.day("agreement_signed_on")
        start, end, release = r.day("programme_start"), r.day("programme_end"), r.day("release_date")
        r.once("code", code, codes)
        r.once("id_number", id_number, id_numbers, what="ID number")
        if worker and worker not in workers:
            r.error("responsible_worker_code", f"worker '{worker}' not found", "worker_missing", code=worker)
        if end is None and start and status is Status.community_detox:
            end = add_years_less_a_day(start, PROGRAMME_YEARS)
        if start and end and end < start:
            r.error("programme_end", "programme ends before it starts", "programme_order")
        if r.ok and code and name and area and status and colour:
            plan.items.append(
                PersonData(
                    code,
                    name,
                    area,
                    status,
                    colour,
                    id_number=id_number,
                    phone=phone,
                    address=address,
                    registered_on=registered,
                    agreement_signed_on=signed,
                    programme_start=start,
                    programme_end=end,
                    release_date=release,
                    responsible_worker_code=worker,
                )
            )


def _plan_areas(session: Session, rows: list[Cells], plan: ImportPlan) -> None:
    """Areas may come in any order: each parent must exist or be in the file; items come parents first."""
    in_file = {r.raw("code") for r in rows} - {""}
    known = area_index(session, in_file | {r.raw("parent_code") for r in rows} - {""})
    seen: dict[str, int] = {}
    parsed: dict[str, tuple[Cells, AreaData]] = {}
    for r in rows:
        code, name = r.code("code", required=True), r.text("name", required=True, max_length=100)
        level, parent = r.choice("level", LEVELS, "level", LEVEL_ZH, "级别"), r.code("parent_code")
        address = r.text("address", max_length=200)
        r.once("code", code, seen)
        if code in known and "parent_code" in plan.absent:
            parent = known[code][1]
        if r.ok and code and name and level:
            parsed[code] = (r, AreaData(code, name, level, parent, address))
    for r, data in parsed.values():
        _check_parent(r, data, parsed, known, in_file)
    plan.items.extend(parsed[code][1] for code in _parents_first(parsed))


def _check_parent(
    r: Cells,
    data: AreaData,
    parsed: dict[str, tuple[Cells, AreaData]],
    known: dict[str, tuple[AreaLevel, str | None]],
    in_file: set[str],
) -> None:
    if data.code in known and known[data.code][1] != data.parent_code:
        # upsert_area would not re-path the area's descendants, so moving is left to a dedicated tool.
        current = known[data.code][1] or "(none)"
        r.error(
            "parent_code",
            f"area '{data.code}' is under '{current}' now; an import cannot move areas",
            "area_moved",
            code=data.code,
            current=current,
        )
    parent = data.parent_code
    if parent is None:
        return
    parent_level = parsed[parent][1].level if parent in parsed else known.get(parent, (None,))[0]
    if parent_level is None:
        if parent not in in_file:  # a parent on a row with its own errors is reported there
            r.error("parent_code", f"parent area '{parent}' not found", "parent_missing", code=parent)
    elif LEVEL_ORDER.index(parent_level) >= LEVEL_ORDER.index(data.level):
        r.error(
            "level",
            f"a {data.level} cannot be under a {parent_level}",
            "level_order",
            level=data.level.value,
            parent=parent_level.value,
            level_zh=LEVEL_ZH[data.level],
            parent_zh=LEVEL_ZH[parent_level],
        )


def _parents_first(parsed: dict[str, tuple[Cells, AreaData]]) -> list[str]:
    """The codes ordered so that a parent in the file comes before its children; cycles are errors."""
    order: list[str] = []
    placed: dict[str, bool] = {}  # False while on the chain being walked, True once ordered
    for start in parsed:
        chain: list[str] = []
        code: str | None = start
        while code in parsed and code not in placed:
            placed[code] = False
            chain.append(code)
            code = parsed[code][1].parent_code
        if code is not None and placed.get(code) is False:
            for looped in chain[chain.index(code) :]:
                parsed[looped][0].error("parent_code", "the parent chain is a cycle", "cycle")
        placed.update(dict.fromkeys(chain, True))
        order.extend(reversed(chain))
    return order


_PLANNERS: dict[ImportKind, Callable[[Session, list[Cells], ImportPlan], None]] = {
    "areas": _plan_areas,
    "workers": _plan_workers,
    "persons": _plan_persons,
}

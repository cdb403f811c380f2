"""Exporting persons of an area's subtree to spreadsheets (records: record_export); every export is audited.

Person exports use the import's Chinese headers and values, so an exported file imports again.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, within
from models.audit import Actor, audit, audit_persons
from models.crypto import KeyRing
from models.people import CareAssignment, CaseRole, Person, Worker
from models.sealing import open_field
from models.services.directory.entries import SENSITIVE_FIELDS, area_by_code
from models.services.spreadsheets.tables import COLOUR_ZH, COLUMNS, STATUS_ZH

Table = tuple[list[str], list[list[object]]]

# A cell starting with one of these may run as a formula in Excel, unless it is plainly a word or number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN = re.compile(r"[-+]?[\w .:/-]*")
_MAX_WIDTH = 60


def export_persons(
    session: Session,
    area_code: str,
    *,
    keys: KeyRing,
    actor: Actor,
    now: datetime,
    with_sensitive: bool = False,
) -> Table:
    """The persons of an area's subtree under Chinese headers; ID number, phone, address only if asked."""
    area = area_by_code(session, area_code)
    columns = [c for c in COLUMNS["persons"] if with_sensitive or c.field not in SENSITIVE_FIELDS]
    found = session.execute(
        select(Person, Area.code)
        .join(Area, Person.area_id == Area.id)
        .where(within(Area.path, area.path))
        .order_by(Person.code)
    ).all()
    responsible = _responsible_workers(session, area.path)
    rows = []
    person_ids = []
    for person, person_area in found:
        person_ids.append(person.id)
        values: dict[str, object] = {
            "code": person.code,
            "name": person.name,
            "area_code": person_area,
            "status": STATUS_ZH[person.status],
            "colour": COLOUR_ZH[person.colour],
            "registered_on": person.registered_on,
            "agreement_signed_on": person.agreement_signed_on,
            "programme_start": person.programme_start,
            "programme_end": person.programme_end,
            "release_date": person.release_date,
            "responsible_worker_code": responsible.get(person.id),
        }
        if with_sensitive:
            values.update({f: open_field(keys, person, f) for f in SENSITIVE_FIELDS})
        rows.append([values[c.field] for c in columns])
    detail = f"n={len(rows)}" + (";sensitive" if with_sensitive else "")
    audit(session, actor, "export", "persons", area.id, at=now, detail=detail)
    if with_sensitive:  # in the trail of every person whose ID number, phone and address went out
        fields = ",".join(SENSITIVE_FIELDS)
        audit_persons(
            session, actor, "export", "persons", area.id, person_ids, at=now, detail=f"sensitive:{fields}"
        )
    return [c.zh for c in columns], rows


def _responsible_workers(session: Session, path: str) -> dict[int, str]:
    """person id → code of their responsible worker, for the persons in the subtree at `path`."""
    query = (
        select(CareAssignment.person_id, Worker.code)
        .join(Worker, Worker.id == CareAssignment.worker_id)
        .join(Person, Person.id == CareAssignment.person_id)
        .join(Area, Area.id == Person.area_id)
        .where(within(Area.path, path), CareAssignment.case_role == CaseRole.responsible)
        .order_by(CareAssignment.id)  # should there be two, the later one wins
    )
    return {person_id: code for person_id, code in session.execute(query)}


def write_csv(
    path: Path, headers: list[str], rows: list[list[object]], *, progress: Callable[[int], None] | None = None
) -> None:
    """Write UTF-8 with a BOM (so Excel reads Chinese); a cell Excel could run as a formula gets a '.
    `progress(rows written)` is called as the rows go out (a CLI's progress bar)."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(headers)
        for done, row in enumerate(rows, start=1):
            writer.writerow([_defused(_text(value)) for value in row])
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return str(value)


def _defused(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) and not _PLAIN.fullmatch(text) else text


def write_xlsx(
    path: Path | IO[bytes], sheets: dict[str, Table], *, progress: Callable[[int], None] | None = None
) -> None:
    """Write one sheet per (headers, rows): bold, frozen header row; columns wide enough to read.
    `progress(rows written)` counts the rows of all sheets as they are written."""
    if not sheets:
        raise ValueError("no sheets to write")
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    written = 0
    for title, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(title=title)
        lines: list[Sequence[object]] = [headers, *rows]
        for row_number, values in enumerate(lines, start=1):
            for column_number, value in enumerate(values, start=1):
                cell = sheet.cell(row=row_number, column=column_number, value=_cell_value(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text: a value starting with '=' is not a formula
            if row_number > 1 and progress is not None:
                written += 1
                if written % 500 == 0:
                    progress(written)
        if progress is not None:
            progress(written)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column_number, width in enumerate(_widths(headers, rows), start=1):
            sheet.column_dimensions[get_column_letter(column_number)].width = width
    workbook.save(path)


def _cell_value(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat()  # Excel has no time zones; keep the offset visible
    return value


def _widths(headers: list[str], rows: list[list[object]]) -> list[int]:
    widths = [_display_width(header) for header in headers]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _display_width(_text(value)))
    return [min(width + 2, _MAX_WIDTH) for width in widths]


def _display_width(text: str) -> int:
    """Width in Latin characters: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

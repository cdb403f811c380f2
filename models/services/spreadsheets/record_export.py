"""Exporting every record of an area's subtree so that another platform can load it (issue 14.8).

Every field of every record kind goes out: kinds and values under the names the chat shows (the
label texts of the chosen locale, passed in: models never read templates), times in local time with
their offset (`2026-03-04 10:00 +08:00`), observations, scores, substances, help kinds, the stored
photo reference (never the photo), the late, voided and corrected flags and the author's code.
For XLSX, one sheet per record kind and a data dictionary; for CSV, one table of every column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models.areas import Area, within
from models.audit import Actor, audit
from models.people import Colour, Person, Worker
from models.records import (
    NOT_MET,
    AssessmentKind,
    HelpKind,
    NotMetReason,
    Record,
    RecordKind,
    Sample,
    Substance,
    TestMethod,
    TestResult,
    VisitKind,
)
from models.services.directory.entries import area_by_code
from models.services.spreadsheets.record_columns import SHARED, ExportColumn
from models.services.spreadsheets.record_kind_columns import KIND_COLUMNS

Table = tuple[list[str], list[list[object]]]
DICTIONARY_SHEET = {"zh_CN": "数据字典", "en": "Data dictionary"}
_DICTIONARY_HEADERS = {
    "zh_CN": ["工作表", "列名", "英文列名", "说明", "允许的值"],
    "en": ["Sheet", "Column", "Chinese column", "Meaning", "Allowed values"],
}
_EVERY_SHEET = {"zh_CN": "所有工作表", "en": "every sheet"}
_YES_NO = {"zh_CN": ("是", "否"), "en": ("yes", "no")}
_LIST_JOIN = {"zh_CN": "、", "en": "; "}

# The codes a column may hold, by the label prefix that names them (rp_vk_home → 入户见面 ...).
CODES: dict[str, tuple[str, ...]] = {
    "rp_kind_": tuple(RecordKind),
    "rp_vk_": tuple(VisitKind),
    "rp_state_": ("stable", "worrying", "signs_of_use", NOT_MET),
    "rp_nm_": tuple(NotMetReason),
    "rp_living_": ("unchanged", "changed", "difficult"),
    "rp_work_": ("unchanged", "employed", "unemployed", "seeking"),
    "rp_social_": ("none", "contact", "unknown"),
    "rp_sample_": tuple(Sample),
    "rp_method_": tuple(TestMethod),
    "rp_result_": tuple(TestResult),
    "rp_sub_": tuple(Substance),
    "rp_edu_": ("individual", "group"),
    "rp_topic_": ("law", "agreement", "health", "employment"),
    "rp_tr_": ("written", "oral"),
    "rp_ak_": tuple(AssessmentKind),
    "colour_": tuple(Colour),
    "rp_help_": tuple(HelpKind),
    "rp_cs_mode_": ("individual", "group", "remote"),
    "rp_cs_focus_": ("emotion", "craving", "family", "stress", "other"),
    "rp_cs_out_": ("improved", "steady", "attention"),
    "rp_reg_place_": ("office", "police", "other"),
}


@dataclass(frozen=True)
class RecordsExport:
    """The records as sheets (sheet name → table, one per kind, every kind), the data dictionary
    (sheet name and table) and one flat table of every column for CSV."""

    sheets: dict[str, Table]
    dictionary: tuple[str, Table]
    flat: Table

    def workbook(self) -> dict[str, Table]:
        """The sheets of the XLSX file: one per kind, then the data dictionary."""
        return {**self.sheets, self.dictionary[0]: self.dictionary[1]}


@dataclass(frozen=True)
class _Row:
    """One record as read, with the codes it refers to."""

    record: Record
    person: str
    author: str
    on_behalf_of: str | None
    corrected_by: int | None


class _Values:
    """Formatting of one export: labels of the locale, local time with offset, yes/no."""

    def __init__(self, labels: Mapping[str, str], tz: ZoneInfo, locale: str) -> None:
        self.labels, self.tz, self.locale = labels, tz, locale

    def label(self, prefix: str, code: object) -> str | None:
        """The chat's name for a stored code; an unknown code as stored (never dropped)."""
        if code is None or code == "":
            return None
        return self.labels.get(f"{prefix}{code}", str(code))

    def labels_of(self, prefix: str, codes: object) -> str | None:
        if not isinstance(codes, list) or not codes:
            return None
        return _LIST_JOIN[self.locale].join(self.label(prefix, code) or "" for code in codes)

    def time(self, at: datetime | None) -> str | None:
        return local_time(at, self.tz)

    def flag(self, value: object) -> str | None:
        if value is None:
            return None
        yes, no = _YES_NO[self.locale]
        return yes if value else no


def local_time(at: datetime | None, tz: ZoneInfo) -> str | None:
    """`2026-03-04 10:00 +08:00`: the moment in the zone, with the zone's offset at that moment."""
    if at is None:
        return None
    local = at.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def export_records(
    session: Session,
    area_code: str,
    *,
    actor: Actor,
    now: datetime,
    tz: ZoneInfo,
    labels: Mapping[str, str],
    locale: str = "zh_CN",
    since: datetime | None = None,
    until: datetime | None = None,
) -> RecordsExport:
    """Every record about persons in an area's subtree, occurred in [since, until), oldest first."""
    area = area_by_code(session, area_code)
    values = _Values(labels, tz, locale)
    rows = _read(session, area.path, since, until)
    english = locale == "en"
    sheets: dict[str, Table] = {}
    flat_columns = _flat_columns()
    flat_rows: list[list[object]] = []
    for kind in RecordKind:
        columns = SHARED + KIND_COLUMNS.get(kind, ())
        of_kind = [row for row in rows if row.record.kind == kind]
        name = sheet_name(values.label("rp_kind_", kind.value) or kind.value)
        sheets[name] = (_headers(columns, english), [[c.read(r, values) for c in columns] for r in of_kind])
    flat_rows = [[c.read(r, values) for c in flat_columns] for r in rows]
    audit(session, actor, "export", "records", area.id, at=now, detail=f"n={len(rows)}")
    return RecordsExport(
        sheets=sheets,
        dictionary=(DICTIONARY_SHEET[locale], data_dictionary(values, sheets)),
        flat=(_headers(flat_columns, english), flat_rows),
    )


def _headers(columns: tuple[ExportColumn, ...], english: bool) -> list[str]:
    return [c.field if english else c.zh for c in columns]


def _flat_columns() -> tuple[ExportColumn, ...]:
    """Every column once: the shared ones, then each kind's own in the order of the kinds."""
    seen: dict[str, ExportColumn] = {c.field: c for c in SHARED}
    for kind in RecordKind:
        for column in KIND_COLUMNS.get(kind, ()):
            seen.setdefault(column.field, column)
    return tuple(seen.values())


def sheet_name(text: str) -> str:
    """A label as an Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in text)[:31]


def data_dictionary(values: _Values, sheets: Mapping[str, Table]) -> Table:
    """One row per column: where it is, its header in both languages, what it means, its values."""
    english = values.locale == "en"
    rows: list[list[object]] = []
    names = list(sheets)
    for column in SHARED:
        rows.append(_describe(column, _EVERY_SHEET[values.locale], values, english))
    for kind, name in zip(RecordKind, names, strict=True):
        rows.extend(_describe(c, name, values, english) for c in KIND_COLUMNS.get(kind, ()))
    return list(_DICTIONARY_HEADERS[values.locale]), rows


def _describe(column: ExportColumn, sheet: str, values: _Values, english: bool) -> list[object]:
    meaning = column.about_en if english else column.about_zh
    if column.codes:
        allowed = _LIST_JOIN[values.locale].join(
            values.label(column.codes, code) or code for code in CODES[column.codes]
        )
    else:
        allowed = column.allowed_en if english else column.allowed_zh
    return [
        sheet,
        column.field if english else column.zh,
        column.zh if english else column.field,
        meaning,
        allowed,
    ]


# built once: an alias is costly to set up on every call
_AUTHOR = aliased(Worker, name="author")
_DELEGATING = aliased(Worker, name="delegating")
_NEWER = aliased(Record, name="newer")


def _read(session: Session, path: str, since: datetime | None, until: datetime | None) -> list[_Row]:
    author, delegating, newer = _AUTHOR, _DELEGATING, _NEWER
    query = (
        select(Record, Person.code, author.code, delegating.code, newer.id)
        .join(Person, Person.id == Record.person_id)
        .join(Area, Area.id == Person.area_id)
        .join(author, author.id == Record.author_id)
        .outerjoin(delegating, delegating.id == Record.on_behalf_of)
        .outerjoin(newer, newer.corrects_id == Record.id)
        .where(within(Area.path, path))
        .order_by(Record.occurred_at, Record.id)
    )
    if since is not None:
        query = query.where(Record.occurred_at >= since)
    if until is not None:
        query = query.where(Record.occurred_at < until)
    return [_Row(*found) for found in session.execute(query)]

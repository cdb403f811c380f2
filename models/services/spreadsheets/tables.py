"""Spreadsheets of the directory: reading CSV or XLSX into rows, and the vocabulary of their columns.

The vocabulary (headers and values, English or Chinese) is shared by the import and the export,
so that what is exported imports again.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from itertools import chain, islice
from pathlib import Path
from typing import Literal, TypeVar

from openpyxl import load_workbook

from models.areas import AreaLevel
from models.people import Colour, Role, Status
from models.validation import clean_cell

ImportKind = Literal["areas", "workers", "persons"]
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Column:
    """A column: the data field it fills (also its English header), its Chinese header, other aliases."""

    field: str
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def headers(self) -> tuple[str, ...]:
        return (self.field, self.zh, *self.aliases)


COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    "areas": (
        Column("code", "编码", ("代码", "区域编码", "区划代码"), required=True),
        Column("name", "名称", ("区域名称", "网格名称"), required=True),
        Column("level", "级别", ("层级", "区域级别"), required=True),
        Column("parent_code", "上级编码", ("parent", "上级代码", "上级区域编码")),
        Column("address", "地址", ("办公地址",)),
    ),
    "workers": (
        Column("code", "工号", ("编码", "人员编号", "工作人员编号"), required=True),
        Column("name", "姓名", ("名字",), required=True),
        Column("role", "角色", ("职务", "岗位"), required=True),
        Column("area_code", "网格编码", ("area", "所属区域", "所属网格", "网格", "网格代码"), required=True),
        Column("work_phone", "工作电话", ("电话", "手机", "手机号", "手机号码", "联系电话", "办公电话")),
        Column("office_hours", "办公时间", ("工作时间",)),
        Column("active", "在岗", ("是否在岗", "在岗状态")),
    ),
    "persons": (
        Column("code", "编号", ("人员编号", "对象编号", "档案编号"), required=True),
        Column("name", "姓名", ("名字",), required=True),
        Column("id_number", "身份证号", ("证件号码", "身份证号码", "公民身份号码", "身份证", "证件号")),
        Column("phone", "联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码")),
        Column("address", "住址", ("地址", "现住址", "居住地址", "家庭住址", "现居住地址")),
        Column(
            "area_code", "网格编码", ("area", "所属网格", "网格", "网格代码", "所属网格编码"), required=True
        ),
        Column("status", "状态", ("人员状态", "管控状态", "戒毒状态"), required=True),
        Column(
            "colour",
            "风险等级",
            ("分类", "color", "风险分类", "分类等级", "管控等级", "风险等级分类"),
            required=True,
        ),
        Column("registered_on", "报到日期", ("报到时间",)),
        Column("agreement_signed_on", "协议签订日期", ("签订协议日期", "协议日期")),
        Column("programme_start", "开始日期", ("起始日期", "社区戒毒开始日期", "社区康复开始日期")),
        Column("programme_end", "结束日期", ("期满日期", "社区戒毒结束日期", "社区康复结束日期")),
        Column("release_date", "出所日期", ("解除日期", "预计出所日期")),  # expected release from isolation
        Column(
            "responsible_worker_code", "责任网格员", ("responsible_worker", "责任网格员工号", "网格员工号")
        ),
    ),
}

LEVEL_ZH = {
    AreaLevel.city: "市", AreaLevel.county: "县", AreaLevel.town: "镇",
    AreaLevel.community: "社区", AreaLevel.grid: "网格",
}  # fmt: skip
ROLE_ZH = {
    Role.grid_worker: "网格员", Role.cadre: "社区专干", Role.police: "社区民警", Role.medical: "医务工作者",
    Role.psychologist: "心理咨询师", Role.disability_assistant: "助残员", Role.supervisor: "督导",
    Role.admin: "管理员",
}  # fmt: skip
STATUS_ZH = {
    Status.community_detox: "社区戒毒", Status.community_rehab: "社区康复",
    Status.compulsory_isolation: "强制隔离戒毒", Status.released: "已解除",
    Status.moved_out: "迁出", Status.deceased: "死亡", Status.lost_contact: "失联",
}  # fmt: skip
COLOUR_ZH = {Colour.red: "红色", Colour.orange: "橙色", Colour.white: "白色", Colour.blue: "蓝色"}


def _vocabulary(chinese: Mapping[E, str], synonyms: Mapping[str, E]) -> dict[str, E]:
    """Every accepted spelling, casefolded → member: the English value, the Chinese name, the synonyms."""
    words: dict[str, E] = {member.value: member for member in chinese}
    words.update({name: member for member, name in chinese.items()})
    words.update(synonyms)
    return {word.casefold(): member for word, member in words.items()}


LEVELS = _vocabulary(LEVEL_ZH, {"区": AreaLevel.county, "街道": AreaLevel.town, "乡": AreaLevel.town})
ROLES = _vocabulary(
    ROLE_ZH, {"专干": Role.cadre, "民警": Role.police, "综治办": Role.supervisor, "禁毒办": Role.supervisor}
)
STATUSES = _vocabulary(STATUS_ZH, {"解除": Status.released})
COLOURS = _vocabulary(
    COLOUR_ZH, {"红": Colour.red, "橙": Colour.orange, "白": Colour.white, "蓝": Colour.blue}
)


_REQUIRED_MARK = re.compile(r"[(（]\s*(?:必填|选填|必须|可选|required|optional)\s*[)）]$", re.IGNORECASE)


def normal_header(header: str) -> str:
    """Headers compare ignoring case, width (full-width ＊ or space), a required mark ('*', '（必填）')
    and spaces or dashes for '_'."""
    text = unicodedata.normalize("NFKC", header).strip()
    text = _REQUIRED_MARK.sub("", text).strip().strip("*").strip()
    return re.sub(r"[\s-]+", "_", text).casefold()


def known_headers(columns: Iterable[Column]) -> frozenset[str]:
    """Every header of these columns, normalised: what a header row is recognised by."""
    return frozenset(normal_header(h) for column in columns for h in column.headers())


def match_headers(
    columns: Iterable[Column], headers: Iterable[str]
) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """(field → header as written, unknown headers, repeated header → the header it repeats)."""
    by_name = {normal_header(h): column.field for column in columns for h in column.headers()}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    repeated: dict[str, str] = {}
    for header in dict.fromkeys(headers):
        name = by_name.get(normal_header(header))
        if name is None:
            unknown.append(header)
        elif name in mapping:
            repeated[header] = mapping[name]
        else:
            mapping[name] = header
    return mapping, unknown, repeated


CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM; GB18030 from Chinese Excel


class TableError(ValueError):
    """The file cannot be read as a table: unknown type, unknown encoding, or repeated headers."""


class TooManyRows(TableError):
    """The file holds more data rows than an import takes; it was not read further."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} data rows")
        self.limit = limit


class Row(dict[str, str]):
    """One data row keyed by header, remembering its spreadsheet row number and its header's."""

    def __init__(self, number: int, values: Iterable[tuple[str, str]], header_row: int = 1) -> None:
        super().__init__(values)
        self.number = number
        self.header_row = header_row


HEADER_SEARCH = 10  # rows looked at for the header row: a title, a date line or a note may sit above it


def read_table(
    path: Path, *, max_rows: int | None = None, columns: Iterable[Column] = ()
) -> list[dict[str, str]]:
    """The data rows of a .csv or .xlsx file (first sheet), keyed by the header row; blank rows skipped.

    Given the columns expected, the header row is the one of the first HEADER_SEARCH rows that names
    most of them (a title row such as `某某社区戒毒人员名单` above it is skipped); else the first row.

    Each row is a `Row`, so its spreadsheet row number survives the skipped blank rows. The file is
    read as a stream (csv's reader over the open file, openpyxl's read-only mode), so memory grows
    with the rows kept, never with the file: past `max_rows` data rows, TooManyRows, unread further.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path)
    elif suffix == ".xlsx":
        records = _xlsx_records(path)
    else:
        raise TableError(f"unsupported file type '{suffix}' (use .csv or .xlsx)")
    rows: list[dict[str, str]] = []
    try:
        for row in _rows(records, known_headers(columns)):
            if max_rows is not None and len(rows) >= max_rows:
                raise TooManyRows(max_rows)
            rows.append(row)
    except csv.Error as exc:  # e.g. a field past csv's limit of 131,072 characters
        raise TableError(f"not a readable CSV file ({exc})") from None
    finally:
        records.close()
    return rows


def _csv_encoding(path: Path) -> str:
    """The first of CSV_ENCODINGS the whole file decodes in, checked a megabyte at a time."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableError("the CSV file is neither UTF-8 nor GB18030 text")


def _csv_records(path: Path) -> Generator[list[str], None, None]:
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as file:
        for record in csv.reader(file):
            yield [cell.strip() for cell in record]


def _xlsx_records(path: Path) -> Generator[list[str], None, None]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for record in sheet.iter_rows(values_only=True):
            yield [render_cell(value) for value in record]
    finally:
        workbook.close()


def render_cell(value: object) -> str:
    """A spreadsheet value as text: integers without '.0', dates as YYYY-MM-DD, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(records: Iterable[Sequence[str]], known: frozenset[str] = frozenset()) -> Iterator[Row]:
    numbered: Iterator[tuple[int, Sequence[str]]] = iter(enumerate(records, start=1))
    if known:
        first = list(islice(numbered, HEADER_SEARCH))
        numbered = chain(first[header_index(first, known) :], numbered)
    for number, record in numbered:
        if any(record):
            yield from _data_rows(_header(record, number), numbered, number)
            return


def header_index(first: Sequence[tuple[int, Sequence[str]]], known: frozenset[str]) -> int:
    """Index of the row naming most known headers (the earliest of equals); 0 if none names any."""
    best, best_count = 0, 0
    for index, (_, record) in enumerate(first):
        count = sum(normal_header(cell) in known for cell in record if cell)
        if count > best_count:
            best, best_count = index, count
    return best


def _header(record: Sequence[str], number: int) -> list[str]:
    names = []
    for index, raw in enumerate(record, start=1):
        name, problem = clean_cell(raw)
        if problem is not None:  # the header is printed in problems: never an escape sequence
            raise TableError(f"row {number}, column {index}: the header's {problem}")
        names.append(name or f"(column {index})")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TableError(f"row {number}: column {', '.join(repeated)} appears more than once")
    return names


def _data_rows(
    header: list[str], numbered: Iterator[tuple[int, Sequence[str]]], header_row: int
) -> Iterator[Row]:
    unnamed = {name for name in header if name.startswith("(column ")}
    for number, record in numbered:
        if not any(record):
            continue
        cells = list(record[: len(header)]) + [""] * (len(header) - len(record))
        extra = [cell for cell in record[len(header) :] if cell]
        row = Row(number, ((name, cell) for name, cell in zip(header, cells, strict=True)), header_row)
        if extra:
            row[f"(column {len(header) + 1})"] = extra[0]
        for name in unnamed:
            if not row[name]:
                del row[name]
        yield row

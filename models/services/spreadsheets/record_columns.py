"""The columns of the records export: headers in both languages, what each means, how it is read.

`codes` names the label prefix of a column's values (its allowed values are those codes' labels);
a column without codes describes its values in words. `read(row, values)` takes one exported row
(the record and the codes it refers to) and the export's formatting (labels, local time, yes/no).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Reader = Callable[[Any, Any], object]


@dataclass(frozen=True)
class ExportColumn:
    """One column: English header (the field), Chinese header, meaning, values, how it is read."""

    field: str
    zh: str
    about_zh: str
    about_en: str
    read: Reader
    codes: str = ""  # label prefix of the allowed values, e.g. "rp_vk_"
    allowed_zh: str = ""
    allowed_en: str = ""


def detail(key: str) -> Reader:
    return lambda row, values: row.record.details.get(key) if row.record.details else None


def labelled(prefix: str, read: Reader) -> Reader:
    return lambda row, values: values.label(prefix, read(row, values))


def group(key: str) -> Reader:
    def read(row: Any, values: Any) -> object:
        group = (row.record.details or {}).get("group")
        return group.get(key) if isinstance(group, dict) else None

    return read


def topic(row: Any, values: Any) -> object:
    details = row.record.details or {}
    return details.get("topic") or values.label("rp_topic_", details.get("topic_key"))


def suggested_colour(row: Any, values: Any) -> object:
    if row.record.result is None:
        return values.labels.get("rp_keep_colour", "keep")
    return values.label("colour_", row.record.result)


TIME_ZH, TIME_EN = (
    "YYYY-MM-DD HH:MM ±HH:MM（本地时间及时区偏移）",
    "YYYY-MM-DD HH:MM ±HH:MM (local time and offset)",
)
YES_NO_ZH, YES_NO_EN = "是、否", "yes; no"
TEXT_ZH, TEXT_EN = "文本", "text"
CODE_ZH, CODE_EN = "编码（字母、数字、_、-）", "code (letters, digits, _ and -)"
NUMBER_ZH, NUMBER_EN = "整数", "integer"


def subkind(prefix: str) -> Reader:
    return lambda row, values: values.label(prefix, row.record.subkind)


def result(prefix: str) -> Reader:
    return lambda row, values: values.label(prefix, row.record.result)


SHARED: tuple[ExportColumn, ...] = (
    ExportColumn(
        "record_id",
        "记录编号",
        "记录的唯一编号",
        "the record's unique number",
        lambda r, v: r.record.id,
        allowed_zh=NUMBER_ZH,
        allowed_en=NUMBER_EN,
    ),
    ExportColumn(
        "person_code",
        "对象编号",
        "戒毒康复人员编号",
        "code of the person in rehabilitation",
        lambda r, v: r.person,
        allowed_zh=CODE_ZH,
        allowed_en=CODE_EN,
    ),
    ExportColumn(
        "kind",
        "记录类型",
        "记录的种类",
        "kind of record",
        lambda r, v: v.label("rp_kind_", r.record.kind.value),
        codes="rp_kind_",
    ),
    ExportColumn(
        "occurred_at",
        "发生时间",
        "工作发生的时间",
        "when the work happened",
        lambda r, v: v.time(r.record.occurred_at),
        allowed_zh=TIME_ZH,
        allowed_en=TIME_EN,
    ),
    ExportColumn(
        "filed_at",
        "填报时间",
        "记录录入系统的时间",
        "when the record was filed",
        lambda r, v: v.time(r.record.created_at),
        allowed_zh=TIME_ZH,
        allowed_en=TIME_EN,
    ),
    ExportColumn(
        "author_code",
        "填报人工号",
        "填报人的工号",
        "code of the worker who filed it",
        lambda r, v: r.author,
        allowed_zh=CODE_ZH,
        allowed_en=CODE_EN,
    ),
    ExportColumn(
        "on_behalf_of_code",
        "委托人工号",
        "代填时，委托（请假）网格员的工号",
        "filed for a delegating worker: that worker's code",
        lambda r, v: r.on_behalf_of,
        allowed_zh=CODE_ZH,
        allowed_en=CODE_EN,
    ),
    ExportColumn(
        "late",
        "迟报",
        "发生 48 小时后才填报",
        "filed more than 48 hours after it happened",
        lambda r, v: v.flag(r.record.late),
        allowed_zh=YES_NO_ZH,
        allowed_en=YES_NO_EN,
    ),
    ExportColumn(
        "voided",
        "已作废",
        "记录已作废（不计入工作量）",
        "voided: no longer counts",
        lambda r, v: v.flag(r.record.voided),
        allowed_zh=YES_NO_ZH,
        allowed_en=YES_NO_EN,
    ),
    ExportColumn(
        "void_reason",
        "作废原因",
        "作废的原因（被更正时为 corrected）",
        "why it was voided (corrected: replaced by a correction)",
        lambda r, v: v.label("rp_void_", r.record.void_reason),
        allowed_zh=TEXT_ZH,
        allowed_en=TEXT_EN,
    ),
    ExportColumn(
        "corrected",
        "已被更正",
        "有更正后的新记录",
        "a later record corrects this one",
        lambda r, v: v.flag(r.corrected_by is not None),
        allowed_zh=YES_NO_ZH,
        allowed_en=YES_NO_EN,
    ),
    ExportColumn(
        "corrected_by_id",
        "更正记录编号",
        "更正本记录的新记录编号",
        "number of the record correcting it",
        lambda r, v: r.corrected_by,
        allowed_zh=NUMBER_ZH,
        allowed_en=NUMBER_EN,
    ),
    ExportColumn(
        "corrects_id",
        "所更正记录编号",
        "本记录更正的原记录编号",
        "number of the record this one corrects",
        lambda r, v: r.record.corrects_id,
        allowed_zh=NUMBER_ZH,
        allowed_en=NUMBER_EN,
    ),
    ExportColumn(
        "notes",
        "情况说明",
        "填报人填写的说明、发现或帮扶内容",
        "the worker's notes, findings or help given",
        lambda r, v: r.record.notes,
        allowed_zh=TEXT_ZH,
        allowed_en=TEXT_EN,
    ),
    ExportColumn(
        "photo_ref",
        "照片引用",
        "照片在系统中的存储引用（不含照片本身）",
        "the stored reference of the photo (not the photo)",
        lambda r, v: r.record.photo_ref,
        allowed_zh=TEXT_ZH,
        allowed_en=TEXT_EN,
    ),
)

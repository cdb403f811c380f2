"""Checks for values typed by people (ID-card numbers, phones, dates, yes/no), and for a spreadsheet row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from models.areas import CODE_PATTERN

E = TypeVar("E", bound=StrEnum)

# GB 11643-1999: weights of the first 17 digits, and the check character for each sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_FORMAT = re.compile(r"\d{17}[\dX]")

_MOBILE = re.compile(r"1\d{10}")
_LANDLINE = re.compile(r"\d{3,5}-\d{4,8}(?:-\d{1,6})?|0\d{9,11}")

_DATE_NUMERIC = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_DATE_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")

_BAD_ID_NUMBER = "ID number must be 18 characters (17 digits + digit or X) with a valid checksum"
_EXCEL_NUMBER = "Excel turned the ID number into a number; format the column as text"

_YES = frozenset({"是", "true", "1", "yes", "y", "在岗"})
_NO = frozenset({"否", "false", "0", "no", "n", "离岗"})


_SPACES = "\t\n\r\v\f"  # controls that are only whitespace: folded into one space like the others
_INVISIBLE = ("Cc", "Cf", "Cs")  # control (NUL, ESC…), format (bidi overrides, zero width…), surrogate


def invisible_character(text: str) -> tuple[int, str] | None:
    """(position, U+XXXX) of the first control, format (bidi, zero-width) or surrogate character."""
    for position, ch in enumerate(text, start=1):
        if ch not in _SPACES and unicodedata.category(ch) in _INVISIBLE:
            return position, f"U+{ord(ch):04X}"
    return None


def clean_cell(value: str) -> tuple[str, str | None]:
    """A spreadsheet cell as stored: NFC, every run of whitespace one space, trimmed; or ("", the
    problem) if it holds a control, format (bidi override, zero-width) or surrogate character.

    The problem names the character by code point and position, never the value: it is printed, and
    the value may be a person's name.
    """
    text = unicodedata.normalize("NFC", value)
    found = invisible_character(text)
    if found is not None:
        return "", (
            f"character {found[0]} is an invisible control or text-direction character "
            f"({found[1]}): retype the value without it"
        )
    folded = " ".join(text.split())
    return (value if folded == value else folded), None  # the same string when unchanged: less memory


def id_check_character(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) for the first 17 digits of an ID-card number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_number(text: str) -> str | None:
    """The 18-character ID-card number (lower-case x raised), or None if its format or checksum is wrong."""
    value = text.strip().upper()
    if not _ID_FORMAT.fullmatch(value):
        return None
    return value if id_check_character(value[:17]) == value[17] else None


def normalise_phone(text: str) -> str | None:
    """A mobile number as 11 digits (spaces, dashes and a +86 prefix dropped), a landline as written.

    None if it is neither.
    """
    value = re.sub(r"\s+", "", text)
    compact = value.replace("-", "").removeprefix("+86")
    if _MOBILE.fullmatch(compact):
        return compact
    return value if _LANDLINE.fullmatch(value) else None


def parse_date(text: str) -> date | None:
    """A date written YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or 2025年1月6日; None if it is none of these."""
    value = text.strip()
    match = _DATE_NUMERIC.fullmatch(value)
    parts = (match.group(1), match.group(3), match.group(4)) if match else None
    if parts is None and (match := _DATE_CHINESE.fullmatch(value)):
        parts = (match.group(1), match.group(2), match.group(3))
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def parse_flag(text: str, *, default: bool) -> bool | None:
    """是/否, true/false, yes/no, 1/0 (blank gives the default); None if it is none of these."""
    value = text.strip().casefold()
    if not value:
        return default
    if value in _YES:
        return True
    return False if value in _NO else None


def add_years_less_a_day(start: date, years: int) -> date:
    """The last day of a term of whole years from `start` (one from 29 February ends on 28 February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        anniversary = date(start.year + years, 3, 1)
    return date.fromordinal(anniversary.toordinal() - 1)


@dataclass(frozen=True)
class RowError:
    """One problem in the file: spreadsheet row, the column as headed, what is wrong (in English);
    `key` and `params` say it again for a translation (`explained`): texts `im_<key>`."""

    row: int
    column: str
    message: str
    key: str = field(default="", compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)


def row_error(row: int, column: str, message: str, key: str = "", **params: object) -> RowError:
    return RowError(row, column, message, key, tuple((k, str(v)) for k, v in params.items()))


def explained(error: RowError, texts: Mapping[str, str]) -> str:
    """The problem in the language of `texts` (the text `im_<key>` with its params); else in English.

    A value is in the params only once clean_cell passed it: a control or bidi character is named by
    code point, never echoed."""
    text = texts.get(f"im_{error.key}") if error.key else None
    return error.message if text is None else text.format(**dict(error.params))


class Cells:
    """One data row's values by field; each check records its error against the column as headed."""

    def __init__(
        self, number: int, row: dict[str, str], mapping: dict[str, str], errors: list[RowError]
    ) -> None:
        self.number, self.mapping, self.errors = number, mapping, errors
        self.ok = True
        self.values: dict[str, str] = {}
        self.rejected: set[str] = set()  # fields whose cell was refused (said once, here)
        for name, header in mapping.items():
            value, problem = clean_cell(row.get(header) or "")
            self.values[name] = value
            if problem is not None:
                self.rejected.add(name)
                position, code = invisible_character(unicodedata.normalize("NFC", row.get(header) or "")) or (
                    0,
                    "",
                )
                self.error(name, problem, "invisible", position=position, code=code)

    def raw(self, name: str) -> str:
        """The cell cleaned (clean_cell); "" if absent or refused."""
        return self.values.get(name, "")

    def error(self, name: str, message: str, key: str = "", **params: object) -> None:
        self.errors.append(row_error(self.number, self.mapping.get(name, name), message, key, **params))
        self.ok = False

    def text(self, name: str, *, required: bool = False, max_length: int = 60) -> str | None:
        value = self.raw(name)
        if not value:
            if required and name not in self.rejected:
                self.error(name, "required", "required")
            return None
        if len(value) > max_length:
            self.error(name, f"longer than {max_length} characters", "too_long", limit=max_length)
            return None
        return value

    def code(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=40)
        if value is not None and not re.fullmatch(CODE_PATTERN, value):
            self.error(
                name, f"code '{value}' may hold only letters, digits, '_' and '-'", "code", value=value
            )
            return None
        return value

    def choice(
        self,
        name: str,
        vocabulary: Mapping[str, E],
        what: str,
        names: Mapping[E, str] | None = None,
        what_zh: str = "",
    ) -> E | None:
        """One of the vocabulary's words; else an error listing the valid values (`names`: Chinese)."""
        value = self.text(name, required=True, max_length=200)
        member = vocabulary.get(value.casefold()) if value else None
        if value and member is None:
            names = names or {}
            self.error(
                name,
                f"unknown {what} '{value[:20]}'",
                "choice",
                what=what,
                what_zh=what_zh or what,
                value=value[:20],
                allowed_zh="、".join(names.values()),
                allowed_en=", ".join(str(m) for m in names),
            )
        return member

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        parsed = parse_date(value) if value else None
        if value and parsed is None:
            self.error(name, f"'{value[:20]}' is not a date (use YYYY-MM-DD)", "date", value=value[:20])
        return parsed

    def phone(self, name: str) -> str | None:
        value = self.raw(name)
        phone = normalise_phone(value) if value else None
        if value and phone is None:
            self.error(
                name, "phone must be 11 digits starting with 1, or a landline of digits and '-'", "phone"
            )
        return phone

    def id_number(self, name: str) -> str | None:
        value = self.raw(name)
        number = normalise_id_number(value) if value else None
        if value and number is None:
            excel = "E+" in value.upper()
            self.error(name, _EXCEL_NUMBER if excel else _BAD_ID_NUMBER, "id_excel" if excel else "id_number")
        return number

    def flag(self, name: str, *, default: bool) -> bool:
        value = parse_flag(self.raw(name), default=default)
        if value is None:
            self.error(
                name, f"'{self.raw(name)[:20]}' is not yes/no (是/否)", "flag", value=self.raw(name)[:20]
            )
        return default if value is None else value

    def once(self, name: str, value: str | None, seen: dict[str, int], what: str = "code") -> None:
        """Record an error if `value` already appeared in this column of the file."""
        if value is None:
            return
        if value in seen:
            self.error(
                name,
                f"duplicate {what} in file (row {seen[value]})",
                f"duplicate_{what.replace(' ', '_')}",
                first=seen[value],
            )
        else:
            seen[value] = self.number

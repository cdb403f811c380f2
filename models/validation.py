"""Checks for values typed by people (ID-card numbers, phones, dates, yes/no), and for a spreadsheet row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
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


def clean_cell(value: str) -> tuple[str, str | None]:
    """A spreadsheet cell as stored: NFC, every run of whitespace one space, trimmed; or ("", the
    problem) if it holds a control, format (bidi override, zero-width) or surrogate character.

    The problem names the character by code point and position, never the value: it is printed, and
    the value may be a person's name.
    """
    text = unicodedata.normalize("NFC", value)
    for position, ch in enumerate(text, start=1):
        if ch not in _SPACES and unicodedata.category(ch) in _INVISIBLE:
            return "", (
                f"character {position} is an invisible control or text-direction character "
                f"(U+{ord(ch):04X}): retype the value without it"
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
        parts = match.groups()
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
    """One problem in the file: spreadsheet row (the header is row 1), the column as headed, what is wrong."""

    row: int
    column: str
    message: str


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
                self.error(name, problem)

    def raw(self, name: str) -> str:
        """The cell cleaned (clean_cell); "" if absent or refused."""
        return self.values.get(name, "")

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.mapping.get(name, name), message))
        self.ok = False

    def text(self, name: str, *, required: bool = False, max_length: int = 60) -> str | None:
        value = self.raw(name)
        if not value:
            if required and name not in self.rejected:
                self.error(name, "required")
            return None
        if len(value) > max_length:
            self.error(name, f"longer than {max_length} characters")
            return None
        return value

    def code(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=40)
        if value is not None and not re.fullmatch(CODE_PATTERN, value):
            self.error(name, f"code '{value}' may hold only letters, digits, '_' and '-'")
            return None
        return value

    def choice(self, name: str, vocabulary: Mapping[str, E], what: str) -> E | None:
        value = self.text(name, required=True, max_length=200)
        member = vocabulary.get(value.casefold()) if value else None
        if value and member is None:
            self.error(name, f"unknown {what} '{value[:20]}'")
        return member

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        parsed = parse_date(value) if value else None
        if value and parsed is None:
            self.error(name, f"'{value[:20]}' is not a date (use YYYY-MM-DD)")
        return parsed

    def phone(self, name: str) -> str | None:
        value = self.raw(name)
        phone = normalise_phone(value) if value else None
        if value and phone is None:
            self.error(name, "phone must be 11 digits starting with 1, or a landline of digits and '-'")
        return phone

    def id_number(self, name: str) -> str | None:
        value = self.raw(name)
        number = normalise_id_number(value) if value else None
        if value and number is None:
            self.error(name, _EXCEL_NUMBER if "E+" in value.upper() else _BAD_ID_NUMBER)
        return number

    def flag(self, name: str, *, default: bool) -> bool:
        value = parse_flag(self.raw(name), default=default)
        if value is None:
            self.error(name, f"'{self.raw(name)[:20]}' is not yes/no (是/否)")
        return default if value is None else value

    def once(self, name: str, value: str | None, seen: dict[str, int], what: str = "code") -> None:
        """Record an error if `value` already appeared in this column of the file."""
        if value is None:
            return
        if value in seen:
            self.error(name, f"duplicate {what} in file (row {seen[value]})")
        else:
            seen[value] = self.number

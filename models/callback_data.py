"""Typed button data: one small frozen dataclass per button kind, packed as `<prefix>:<field>:<field>…`.

In the spirit of aiogram's `CallbackData`, with no framework behind it::

    @dataclass(frozen=True)
    class CardOpen(CallbackData, prefix="p"):
        person_id: int

    CardOpen(12).pack() == "p:12";  CardOpen.parse("12") == CardOpen(12);  CardOpen.parse("²") is None

A field's annotation says what it takes:

- `int`: a database id or a page, 1 to 18 ASCII digits (`Annotated[int, 4]`: at most 4); no sign.
- `date`: a calendar day as `YYYYMMDD`.
- `Literal["a", "b"]` or a `StrEnum`: one token of that fixed set.
- `Annotated[str, r"regex"]`: a token matching the regex in full (a bare `str` is refused).
- `X | None = None`: a trailing field that may be left out (it is left out when None).

`parse(payload)` takes what follows `<prefix>:` and returns the object, or None on anything else:
junk digits ("²", "-1"), too long, extra or missing parts, an unknown token. `pack()` refuses what
`parse` would not read back and anything over Telegram's 64 bytes, so building and reading agree.
The last field takes the rest of the payload, colons included, so only its own rule limits it.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import Field, fields
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

DATA_LIMIT = 64  # Telegram's limit on callback_data, in bytes
_ID_DIGITS = 18  # a bigint id, with room: 18 digits never overflow a signed 64-bit integer
_DAY = re.compile(r"[0-9]{8}")
_ID = re.compile(f"[0-9]{{1,{_ID_DIGITS}}}")


def parse_id(text: str) -> int | None:
    """A database id written as text (button data, a form's stored answer), or None for junk ("²", "-1")."""
    return int(text) if _ID.fullmatch(text) else None


@lru_cache(maxsize=4096)
def yyyymmdd(day: date) -> str:
    """A city's morning has tens of thousands of buttons but few distinct days."""
    return day.strftime("%Y%m%d")


class _Field:
    """How one field is read from and written to its part of the payload."""

    def __init__(self, name: str, hint: Any) -> None:
        self.name, self.optional = name, False
        origin = get_origin(hint)
        if origin in (Union, types.UnionType) and type(None) in get_args(hint):
            (hint,) = [a for a in get_args(hint) if a is not type(None)]
            self.optional, origin = True, get_origin(hint)
        meta = None
        if origin is Annotated:
            hint, meta = get_args(hint)[0], get_args(hint)[1]
            origin = get_origin(hint)
        self.hint, self.tokens, self.pattern = hint, frozenset[str](), _DAY
        if hint is int:
            self.pattern = re.compile(f"[0-9]{{1,{meta}}}") if meta else _ID
        elif origin is Literal:
            self.tokens = frozenset(str(a) for a in get_args(hint))
        elif isinstance(hint, type) and issubclass(hint, Enum):
            self.tokens = frozenset(str(m.value) for m in hint)
        elif hint is str and isinstance(meta, str):
            self.pattern = re.compile(meta)
        elif hint is not date:
            raise TypeError(f"button field {name}: unsupported annotation {hint!r}")
        self.write = self._writer()

    def read(self, text: str) -> Any:
        """The value of a part, or None if the part is junk."""
        if self.tokens:
            if text not in self.tokens:
                return None
            return self.hint(text) if isinstance(self.hint, type) else text
        if not self.pattern.fullmatch(text):
            return None
        if self.hint is int:
            return int(text)
        if self.hint is date:
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                return None
        return text

        self.write = self._writer()

    def _writer(self) -> Callable[[Any], str | None]:
        """value → its part, or None if `read` would not give the value back (built once: it is hot)."""
        hint, tokens, match = self.hint, self.tokens, self.pattern.fullmatch
        if hint is date:
            return lambda v: yyyymmdd(v) if type(v) is date else None
        if tokens:
            return lambda v: t if (t := str(v.value if isinstance(v, Enum) else v)) in tokens else None
        if hint is int:
            return lambda v: t if type(v) is int and match(t := str(v)) else None
        return lambda v: v if type(v) is str and match(v) else None


class CallbackData:
    """The base of every button kind: subclass it as a frozen dataclass with `prefix=`."""

    PREFIX: ClassVar[str]
    _fields: ClassVar[tuple[_Field, ...] | None] = None
    if TYPE_CHECKING:
        # Every kind is a dataclass (above), so `fields(cls)` reads its fields.
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix:
            assert re.fullmatch(r"[a-z]{1,4}", prefix), prefix
            cls.PREFIX = prefix
        cls._fields = None  # read on first use: the dataclass decorator runs after this hook

    @classmethod
    def _codecs(cls) -> tuple[_Field, ...]:
        if cls._fields is None:
            hints = get_type_hints(cls, include_extras=True)
            codecs = tuple(_Field(f.name, hints[f.name]) for f in fields(cls))
            seen_optional = False
            for codec in codecs:
                assert codec.optional or not seen_optional, f"{cls.__name__}: optional fields go last"
                seen_optional = seen_optional or codec.optional
            cls._fields = codecs
        return cls._fields

    def pack(self) -> str:
        """`<prefix>:<fields>`, the trailing None fields left out; refused if over 64 bytes or unreadable."""
        codecs = self._fields or self._codecs()
        values = [getattr(self, c.name) for c in codecs]
        while values and values[-1] is None and codecs[len(values) - 1].optional:
            values.pop()
        written = [c.write(v) for c, v in zip(codecs, values, strict=False)]
        texts = [t for t in written if t is not None]
        if len(texts) < len(written):
            raise ValueError(f"{type(self).__name__}: {self!r} would not read back")
        data = ":".join([self.PREFIX, *texts]) if texts else f"{self.PREFIX}:"
        if len(data) > DATA_LIMIT // 4 and len(data.encode()) > DATA_LIMIT:
            raise ValueError(f"{type(self).__name__}: cannot pack {self!r} as button data")
        return data

    @classmethod
    def parse(cls, payload: str) -> Self | None:
        """The button named by a payload (what follows `<prefix>:`), or None for anything else."""
        codecs = cls._codecs()
        if len(payload.encode()) > DATA_LIMIT:
            return None
        if not codecs:
            return cls() if payload == "" else None
        parts = payload.split(":", len(codecs) - 1)
        if any(not c.optional for c in codecs[len(parts) :]):
            return None
        values = []
        for codec, text in zip(codecs, parts, strict=False):
            value = codec.read(text)
            if value is None:
                return None
            values.append(value)
        return cls(*values)

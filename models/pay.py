"""Pay evaluation (网格员考核得分): a score per worker per month, from weights a locality sets.

The source: a worker's subsidy depends on the quantity and quality of their anti-drug work. The
score adds, for each measure, its weight times how fully it was met (a fraction from 0 to 1):

- on_time   the obligations of the month met on time (met late or missed count against it;
            nothing owed, nothing earned);
- records   the records filed, up to `records_target` a month (quantity);
- timely    the records filed within 48 hours of the event (not 补录; nothing filed, nothing earned);
- reviews   the reviewed records found correct (nothing reviewed: full marks);
- messages  the families' messages answered within 24 hours (none received: full marks).

The defaults sum to 100. A locality changes them in its rules file (GRIDCARE_RULES_FILE), in a
`[pay]` table beside its `[[rule]]` tables, parsed as strictly as the rules:

    [pay]
    on_time = 60
    records = 10
    records_target = 30
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from typing import Protocol


class PayError(ValueError):
    """A `[pay]` table that cannot be used: the message says what to fix."""


@dataclass(frozen=True)
class PayWeights:
    on_time: float = 50
    records: float = 20
    records_target: int = 40  # records a month that earn the whole `records` weight
    timely: float = 10
    reviews: float = 10
    messages: float = 10

    @property
    def full(self) -> float:
        """The best possible score (100 with the defaults)."""
        return self.on_time + self.records + self.timely + self.reviews + self.messages

    @classmethod
    def from_toml(cls, text: str) -> PayWeights:
        """The `[pay]` table of a rules file over the defaults (the defaults if it has none)."""
        try:
            table = tomllib.loads(text).get("pay", {})
        except tomllib.TOMLDecodeError as exc:
            raise PayError(f"not valid TOML: {exc}") from None
        if not isinstance(table, dict):
            raise PayError("pay is a table: write [pay], then one weight per line")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise PayError(f"unknown [pay] key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")
        values: dict[str, float | int] = {}
        for name, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise PayError(f"[pay] {name} must be a number, 0 or more (got {value!r})")
            values[name] = value
        target = values.get("records_target", 1)
        if target < 1 or target != int(target):
            raise PayError("[pay] records_target must be a whole number, 1 or more")
        # Every value was checked above (a number; records_target a whole one, maybe written 30.0), but
        # the dict's one value type cannot say which field is the int.
        weights = cls(**values)  # type: ignore[arg-type]
        if weights.full <= 0:
            raise PayError("[pay] weights are all 0: nothing would be scored")
        return weights


class Figures(Protocol):
    """A worker's month as models.services.performance.table counts it (read-only: it is a frozen record)."""

    @property
    def records(self) -> int: ...

    @property
    def late_records(self) -> int: ...

    @property
    def met_on_time(self) -> int: ...

    @property
    def met_late(self) -> int: ...

    @property
    def missed(self) -> int: ...

    @property
    def reviewed_correct(self) -> int: ...

    @property
    def reviewed_errors(self) -> int: ...

    @property
    def messages(self) -> int: ...

    @property
    def messages_slow(self) -> int: ...


def _share(good: int, total: int) -> float:
    return 1.0 if total <= 0 else max(0.0, min(1.0, good / total))


def pay_score(w: Figures, weights: PayWeights) -> float:
    """The worker's score for the period, one decimal (0 to `weights.full`)."""
    owed = w.met_on_time + w.met_late + w.missed
    score = (
        weights.on_time * (_share(w.met_on_time, owed) if owed else 0.0)
        + weights.records * min(1.0, w.records / weights.records_target)
        + weights.timely * (_share(w.records - w.late_records, w.records) if w.records else 0.0)
        + weights.reviews * _share(w.reviewed_correct, w.reviewed_correct + w.reviewed_errors)
        + weights.messages * _share(w.messages - w.messages_slow, w.messages)
    )
    return round(score, 1)

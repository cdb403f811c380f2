"""Everyone's obligations in one SQL statement: set-based, the same on SQLite and PostgreSQL.

The pure rules (models.schedule.obligations_on) are the specification; tests check this module
against them person by person. What is the same for everybody (windows, deadlines, the rules) comes
from models.services.obligations.plan; the per-person facts (colours, programme spans, records,
pauses) from models.services.obligations.facts. Here:

* `picked`: for each obligation, which rule applies now and which earlier period is still open,
  as CASE expressions over the (few) rules, read from each person's facts;
* one SELECT per obligation and slot (current, previous, and each older window still listed
  while open: models.schedule.older_periods), plus the registration after release, glued with
  UNION ALL: one row per due item.

The registration's period is per person (15 days from the release); its few rows are finished in
Python, where the working-day calendar is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from models.people import ACTIVE_STATUSES, ColourChange, Status
from models.records import Record
from models.schedule import REGISTRATION_DAYS, Obligation, Rule
from models.services.obligations.facts import Expr, FactsBuilder, least, local_day_of, satisfies
from models.services.obligations.plan import Choice, ObligationPlan, Plan, day_number

REGISTRATION_SLOT = -1


class _Builder(FactsBuilder):
    """Adds the rule picks and the item rows to the per-person facts."""

    def applies(self, feat: Any, rule: Rule, decisive: int) -> Expr:
        """SQL for Rule.applies on the colour and programme year of one decisive day."""
        parts: list[Expr] = []
        if not set(ACTIVE_STATUSES) <= rule.statuses:
            parts.append(feat.c.status.in_(sorted(rule.statuses & set(ACTIVE_STATUSES))))
        if rule.colours is not None:
            parts.append(feat.c[f"c{decisive}"].in_(sorted(rule.colours)))
        if rule.programme_years is not None:
            parts.append(feat.c[f"y{decisive}"].in_(sorted(rule.programme_years)))
        return and_(true(), *parts)

    def picks(self, feat: Any, o: ObligationPlan) -> tuple[Expr, Expr]:
        """Which rule applies now (index or NULL), and whose previous period is still listed."""
        current = case(*[(self.applies(feat, c.rule, 0), c.index) for c in o.current], else_=null())
        whens = []
        for choice in o.previous:
            after = o.later_than_current(choice)
            if len(after) == len(o.current):
                follows: Expr = true()
            elif after:
                follows = or_(current.is_(None), current.in_(after))
            else:
                follows = current.is_(None)
            whens.append(
                (and_(self.applies(feat, choice.rule, choice.window.decisive), follows), choice.index)
            )
        previous = case(*whens, else_=null())
        return current, previous

    def picked(self, where: Sequence[Expr]) -> tuple[Any, dict[tuple[Obligation, int], str]]:
        feat, names = self.features(where)
        columns: list[Expr] = list(feat.c)
        for n, o in enumerate(self.plan.obligations):
            current, previous = self.picks(feat, o)
            columns += [current.label(f"cur{n}"), previous.label(f"prev{n}")]
        return select(*columns).cte("picked").prefix_with("MATERIALIZED"), names

    def slot(self, picked: Any, names: dict[tuple[Obligation, int], str], n: int, current: bool) -> Any:
        """The items of obligation plan `n` in its current (or previous) period, one row each."""
        o = self.plan.obligations[n]
        index = picked.c[f"cur{n}" if current else f"prev{n}"]
        choices = o.current if current else o.previous

        def by_rule(value: Any) -> Expr:
            return case(*[(index == c.index, value(c)) for c in choices], else_=null())

        done = by_rule(lambda c: picked.c[names[(o.obligation, c.window.id)]])
        required = by_rule(lambda c: c.rule.times)
        owed = by_rule(lambda c: picked.c[f"o{c.window.id}"])
        colour = picked.c["c0"] if current else by_rule(lambda c: picked.c[f"c{c.window.decisive}"])
        conditions = [index.is_not(None), owed == 1]
        if not current:
            conditions.append(done < required)  # a previous period is listed only while open
        return self._row(picked, n, by_rule(lambda c: c.window.id), colour, required, done, conditions)

    def floor(self, picked: Any, n: int) -> Expr:
        """The day number an older period must end before: the start of the previous period picked,
        else of the current one (older periods never overlap them), else after today."""
        o = self.plan.obligations[n]
        prev, cur = picked.c[f"prev{n}"], picked.c[f"cur{n}"]
        whens = [(prev == c.index, day_number(c.window.start)) for c in o.previous]
        whens += [(cur == c.index, day_number(c.window.start)) for c in o.current]
        return case(*whens, else_=self.today_n + 1)

    def older(
        self, picked: Any, names: dict[tuple[Obligation, int], str], n: int, group: tuple[Choice, ...]
    ) -> Any:
        """The items of obligation plan `n` in one older window (`group`: the rules it belongs to),
        listed while open: a missed week stays overdue until the ladder has run."""
        o = self.plan.obligations[n]
        w = group[0].window
        index = case(*[(self.applies(picked, c.rule, w.decisive), c.index) for c in group], else_=null())
        required = case(*[(index == c.index, c.rule.times) for c in group], else_=null())
        done = picked.c[names[(o.obligation, w.id)]]
        conditions = [
            index.is_not(None),
            picked.c[f"o{w.id}"] == 1,
            done < required,
            self.floor(picked, n) > day_number(w.end),
        ]
        return self._row(picked, n, literal(w.id), picked.c[f"c{w.decisive}"], required, done, conditions)

    def _row(
        self,
        picked: Any,
        slot: int,
        window: Expr,
        colour: Expr,
        required: Expr,
        done: Expr,
        where: list[Expr],
    ) -> Any:
        return select(
            picked.c.id,
            picked.c.code,
            picked.c.area_id,
            picked.c.worker_id,
            literal(slot).label("slot"),
            window.label("window"),
            type_coerce(colour, String).label("colour"),  # plain text: no enum processing per row
            required.label("required"),
            done.label("done"),
            cast(null(), Integer).label("rel"),
        ).where(*where)

    def registration(self, picked: Any, since: Any) -> Any:
        """Released from isolation: 报到 within 15 days; finished in Python (per-person deadline)."""
        rel = picked.c.rel
        decisive = least(rel + (REGISTRATION_DAYS - 1), self.today_n)
        local = local_day_of(ColourChange.changed_at, self.dialect, str(self.tz.key), self.offset)
        last = (
            select(ColourChange.to_colour)
            .where(ColourChange.person_id == picked.c.id, local <= decisive)
            .order_by(ColourChange.changed_at.desc(), ColourChange.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        first = (
            select(ColourChange.to_colour)
            .where(ColourChange.person_id == picked.c.id)
            .order_by(ColourChange.changed_at, ColourChange.id)
            .limit(1)
            .scalar_subquery()
        )
        filed = local_day_of(Record.occurred_at, self.dialect, str(self.tz.key), self.offset)
        count = (
            select(func.count())
            .where(
                Record.person_id == picked.c.id,
                satisfies(Obligation.registration),
                Record.voided.is_(False),
                Record.occurred_at >= since,
                filed >= rel,
            )
            .scalar_subquery()
        )
        return select(
            picked.c.id,
            picked.c.code,
            picked.c.area_id,
            picked.c.worker_id,
            literal(REGISTRATION_SLOT).label("slot"),
            cast(null(), Integer).label("window"),
            type_coerce(func.coalesce(last, first, picked.c.colour_now), String).label("colour"),
            literal(1).label("required"),
            count.label("done"),
            rel.label("rel"),
        ).where(picked.c.status == Status.community_rehab, rel.is_not(None), rel <= self.today_n)


def fetch(
    session: Session, plan: Plan, tz: ZoneInfo, where: Sequence[Expr], *, open_only: bool = False
) -> Sequence[Any]:
    """The raw item rows: (id, code, area_id, worker_id, slot, window, colour, required, done, rel).

    `slot` is the index of the obligation in `plan.obligations` (REGISTRATION_SLOT for 报到) and
    `window` the id of its period window; `rel` the release day number of a registration row.
    """
    dialect = session.get_bind().dialect.name
    query, params = _STATEMENTS.get(plan, tz, dialect, where, open_only)
    if dialect == "postgresql":
        # Sort and group a city in memory; and no JIT: compiling this wide statement's hundreds of
        # CASE expressions took 5 s for a 10,000-person city whose whole evaluation takes 0.3 s.
        session.execute(_WORK_MEM)
        session.execute(_NO_JIT)
    result = session.connection().execute(query, params)
    try:
        return result.cursor.fetchall()  # plain tuples: no Row objects for a country's millions
    finally:
        result.close()


_WORK_MEM = text("SET LOCAL work_mem = '64MB'")
_NO_JIT = text("SET LOCAL jit = off")


def build(plan: Plan, tz: ZoneInfo, dialect: str, where: Sequence[Expr], open_only: bool) -> Any:
    """The whole statement: one SELECT per obligation and slot, glued with UNION ALL."""
    builder = _Builder(plan, dialect, tz)
    picked, names = builder.picked(where)
    parts = []
    for n in range(len(plan.obligations)):
        parts.append(builder.slot(picked, names, n, current=True))
        parts.append(builder.slot(picked, names, n, current=False))
        parts.extend(builder.older(picked, names, n, group) for group in plan.obligations[n].older)
    parts.append(builder.registration(picked, plan.since))
    query: Any = union_all(*parts)
    if open_only:
        items = query.subquery("items")
        query = select(items).where(items.c.done < items.c.required)
    return query


class StatementCache:
    """The statements `build` made, kept per (plan, time zone, dialect, shape of `where`, open_only).

    Building the statement (hundreds of CASE expressions) and SQLAlchemy's cache key for it cost
    30–90 ms, while a caseload's query runs in 2–4 ms: /my and every saved report would spend
    nearly all their time building the same statement again. The plan changes once a day; the
    `where` conditions differ between calls only in their values (a worker id, an area path, a list
    of ids), so SQLAlchemy's own cache key of the conditions (structure, and their bound parameters
    in order) finds the kept statement, and the new values are bound to the kept parameters.
    A kept statement's cache key is memoised by SQLAlchemy, so its compiled form is found at once.

    Conditions must bind their values plainly (`column == value`, `in_`): a value SQLAlchemy copies
    into a new parameter when it builds the statement (`type_coerce(value, …)` did) keeps the first
    caller's value, and every later caller would get the first one's rows.
    `test_a_kept_statement_answers_each_caller_with_its_own_values` checks the conditions in use.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[Any, list[BindParameter[Any]]]] = OrderedDict()
        self._lock = Lock()

    def get(
        self, plan: Plan, tz: ZoneInfo, dialect: str, where: Sequence[Expr], open_only: bool
    ) -> tuple[Any, dict[str, Any]]:
        found = [w._generate_cache_key() for w in where]
        keys = [k for k in found if k is not None]
        if len(keys) < len(found):  # a condition SQLAlchemy cannot cache: build afresh
            return build(plan, tz, dialect, where, open_only), {}
        shape = (plan, tz.key, dialect, open_only, tuple(k.key for k in keys))
        binds = [b for k in keys for b in k.bindparams]
        with self._lock:
            kept = self._kept.get(shape)
            if kept is not None:
                self._kept.move_to_end(shape)
        if kept is None:
            kept = (build(plan, tz, dialect, where, open_only), binds)
            with self._lock:
                self._kept[shape] = kept
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        query, kept_binds = kept
        return query, {old.key: new.effective_value for old, new in zip(kept_binds, binds, strict=True)}


_STATEMENTS = StatementCache()

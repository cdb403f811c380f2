"""Each person's obligations kept true: rewritten with whatever changes them, rolled with the days.

The kept items (models.obligation_state) are the items `models.schedule.obligations_on` gives for
one day, worked out by models.services.obligations.evaluate. They are kept true three ways:

* **In the same unit of work as a change.** `keep_current` hooks a session factory: every flush
  notes the persons whose records (of a kind that can meet an obligation: not a case note), colour
  changes, pauses or schedule-relevant fields changed, and before the commit their items are
  worked out again for the unit of work's day (`at_day`, set by the runtime). Without a day (a
  script), their stamps are dropped and the next read works them out.
* **With the passing of days.** Items hold until their stamp's `valid_until`
  (models.schedule.stable_until: a new week, month or half-year, a period leaving the overdue
  ladder, a programme anniversary). `roll` works out, batch by batch, the persons whose day has come
  (claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes share the work); the
  night job runs it. A change of the locality's rules, calendar or time zone changes the `basis`,
  which makes everybody's items stale: `gridcare obligations rebuild` (or the night job) redoes them.
* **On read, as the last resort.** `settle` finds the persons in scope whose items do not hold for
  the day asked (never worked out, stale) and works them out first; for a day before their stamp's
  (a report on a past period) it works them out in memory and writes nothing.

`verify` recomputes from the records and lists every difference (`gridcare obligations verify`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    Select,
    String,
    bindparam,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from models.areas import Area, within
from models.casework import Pause
from models.obligation_state import ObligationItem, ObligationStamp
from models.people import ACTIVE_STATUSES, ColourChange, Person
from models.policy import Policy
from models.records import Record
from models.schedule import Obligation, record_kind_of
from models.services.obligations.evaluate import Evaluated, evaluate
from models.services.sql import changed_rows, chunks, dialect_of

BATCH = 1000
_DIRTY = "obligations_dirty"  # session.info: the persons whose facts changed in this unit of work
_DAY = "obligations_day"  # session.info: (today, policy) of the unit of work, set by the runtime
# The fields of a person the schedule reads (models.services.obligations.evaluate.facts_of).
_PERSON_FIELDS = ("status", "colour", "programme_start", "programme_end", "release_date", "schedule_override")


_STAMPS = ObligationStamp.__table__
# The kinds of record `evaluate` reads (those that can meet an obligation); a change to any other
# kind leaves everybody's items as they were.
_COUNTING = frozenset(str(record_kind_of(obligation)) for obligation in Obligation)


def _upsert(insert_of: Any) -> Any:
    stmt = insert_of(_STAMPS)
    return stmt.on_conflict_do_update(
        index_elements=[_STAMPS.c.person_id],
        set_={
            name: stmt.excluded[name] for name in ("computed_for", "valid_until", "basis", "first_open_due")
        },
    )


_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}

# Built once (see models.services.sql): every saved record works its person out again, in the
# chat's unit of work; the ids go as an expanding IN, as a list would.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_EXISTING = select(Person.id).where(Person.id.in_(_IDS)).order_by(Person.id)
_PERSONS = select(Person).where(Person.id.in_(_IDS))
_MAKE_STAMPS = postgresql.insert(_STAMPS).on_conflict_do_nothing()
_LOCK_STAMPS = (
    select(_STAMPS.c.person_id)
    .where(_STAMPS.c.person_id.in_(_IDS))
    .order_by(_STAMPS.c.person_id)
    .with_for_update()
)
_ITEMS = ObligationItem.__table__
# Items are written only through these Core statements (no ObligationItem object is kept in a
# session that writes them: `verify`, which loads them, writes nothing).
_DROP_ITEMS = delete(_ITEMS).where(_ITEMS.c.person_id.in_(_IDS))
_ADD_ITEMS = insert(_ITEMS)


# -- the same unit of work ------------------------------------------------------------------------


def at_day(session: Session, today: date, policy: Policy) -> None:
    """Tell the session the day and policy of its unit of work: changed persons are then worked
    out again for that day before the commit."""
    session.info[_DAY] = (today, policy)


def changed(session: Session, person_id: int) -> None:
    """Note a change the session does not see (a Core statement): the person is worked out again."""
    session.info.setdefault(_DIRTY, set()).add(person_id)


def may_count(kind: str) -> bool:
    """Whether a record of this kind can meet an obligation (`evaluate` reads no other kind): a new
    case note, say, changes nobody's items."""
    return str(kind) in _COUNTING


def keep_current(sessions: sessionmaker[Session]) -> None:
    """Hook a session factory so that every unit of work keeps the obligations it changes true."""
    event.listen(sessions, "after_flush", _note_changes)
    event.listen(sessions, "before_commit", _apply_changes)


def _note_changes(session: Session, _context: Any) -> None:
    dirty: set[int] = session.info.setdefault(_DIRTY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Record):
            if _may_count(obj):
                dirty.add(obj.person_id)
        elif isinstance(obj, (ColourChange, Pause)):
            dirty.add(obj.person_id)
        elif isinstance(obj, Person):
            state = inspect(obj)
            if obj in session.new or any(state.attrs[name].history.has_changes() for name in _PERSON_FIELDS):
                dirty.add(obj.id)


def _may_count(record: Record) -> bool:
    """Whether the record is (or was, before this unit of work) of a kind that can meet an
    obligation: a case note, say, is none, and `evaluate` never reads it."""
    kinds = {record.kind, *inspect(record).attrs.kind.history.deleted}
    return any(may_count(kind) for kind in kinds)


def _apply_changes(session: Session) -> None:
    session.flush()
    dirty: set[int] = session.info.pop(_DIRTY, set())
    if not dirty:
        return
    day = session.info.get(_DAY)
    if day is None:
        session.execute(delete(ObligationStamp).where(ObligationStamp.person_id.in_(sorted(dirty))))
        return
    refresh(session, dirty, *day)
    session.info.pop(_DIRTY, None)  # refreshing flushes nothing the hook should see again


# -- working out and keeping ----------------------------------------------------------------------


def refresh(session: Session, person_ids: Iterable[int], today: date, policy: Policy) -> int:
    """Work out these persons' items for `today` from their records and keep them; the count done.

    Each batch first locks the persons' stamps (made if missing), so two processes working out the
    same person take turns, and the later one reads what the earlier one committed.
    """
    count = 0
    basis = policy.basis
    for wanted in chunks(sorted(set(person_ids)), BATCH):
        chunk = session.scalars(_EXISTING, {"ids": wanted}).all()
        if not chunk:
            continue  # deleted in this unit of work: their items went with them
        _lock(session, chunk, today)
        persons = session.scalars(_PERSONS, {"ids": chunk}).all()
        found = evaluate(session, persons, today, policy)
        _write(session, chunk, found, today, basis)
        count += len(found)
    return count


def _lock(session: Session, ids: Sequence[int], today: date) -> None:
    if dialect_of(session) != "postgresql":
        return  # SQLite: one writer at a time already
    stamps = [{"person_id": i, "computed_for": today, "valid_until": today, "basis": ""} for i in ids]
    session.execute(_MAKE_STAMPS, stamps)
    session.execute(_LOCK_STAMPS, {"ids": ids}).all()


def _write(
    session: Session, ids: Sequence[int], found: dict[int, Evaluated], today: date, basis: str
) -> None:
    session.execute(_DROP_ITEMS, {"ids": ids})
    items = [
        {
            "person_id": pid,
            "obligation": str(i.obligation),
            "period_start": i.period_start,
            "period_end": i.period_end,
            "due_date": i.due_date,
            "required": i.required,
            "done": i.done,
            "colour": str(i.colour),
        }
        for pid, ev in found.items()
        for i in ev.items
    ]
    if items:
        session.execute(_ADD_ITEMS, items)  # Core: no ORM bookkeeping per row
    stamps = [
        {
            "person_id": pid,
            "computed_for": today,
            "valid_until": ev.valid_until,
            "basis": basis,
            "first_open_due": first_open_due(ev.items),
        }
        for pid, ev in found.items()
    ]
    if not stamps:
        return
    session.execute(_UPSERT[dialect_of(session)], stamps)  # executemany: compiled once per batch


def first_open_due(items: Iterable[Any]) -> date | None:
    """The earliest due date of the items not done (None: every item is done, or there is none)."""
    return min((i.due_date for i in items if i.done < i.required), default=None)


# -- reading: what holds for a day ----------------------------------------------------------------


def holds(today: Any, basis: Any) -> ColumnElement[bool]:
    """SQL: the person's kept items (their stamp joined) hold for `today` (values or bindparams)."""
    return (_STAMPS.c.computed_for <= today) & (_STAMPS.c.valid_until > today) & (_STAMPS.c.basis == basis)


# Bound at run time (`stale_params`): a kept statement serves every day.
_TODAY, _BASIS = bindparam("today", type_=Date), bindparam("basis", type_=String)


def stale(people: Any) -> Select[int, date]:
    """SQL: the persons `people` selects (a select of Person.id) whose kept items do not hold for the
    day and basis bound at run time (`stale_params`), with the day their stamp is for. A statement
    that can be built once for a shape of `people` and run with parameters."""
    persons = Person.__table__  # on the tables: run as Core, its rows are not processed by the ORM
    return (
        select(persons.c.id, _STAMPS.c.computed_for)
        .outerjoin(_STAMPS, _STAMPS.c.person_id == persons.c.id)
        .where(persons.c.id.in_(people), or_(_STAMPS.c.person_id.is_(None), ~holds(_TODAY, _BASIS)))
    )


def stale_params(today: date, policy: Policy) -> dict[str, Any]:
    """The parameters `stale` binds."""
    return {"today": today, "basis": policy.basis}


def settle(session: Session, people: Any, today: date, policy: Policy) -> dict[int, Evaluated]:
    """Make the kept items of the persons `people` selects (a select of Person.id) hold for `today`:
    work out and keep those whose do not; those asked about a day before their stamp's are worked
    out in memory only (a past day's report must not move everybody's state back)."""
    rows = session.execute(stale(people), stale_params(today, policy)).all()
    return settle_rows(session, rows, today, policy)


def settle_rows(
    session: Session, rows: Sequence[tuple[int, date | None]], today: date, policy: Policy
) -> dict[int, Evaluated]:
    """`settle` for the rows a `stale` statement gave (a caller that keeps the statement built)."""
    behind = [pid for pid, computed_for in rows if computed_for is None or computed_for <= today]
    past = [pid for pid, computed_for in rows if computed_for is not None and computed_for > today]
    if behind:
        refresh(session, behind, today, policy)
    in_memory: dict[int, Evaluated] = {}
    for chunk in chunks(past, BATCH):
        persons = session.scalars(_PERSONS, {"ids": chunk}).all()
        in_memory.update(evaluate(session, persons, today, policy))
    return in_memory


def people_within(area_path: str | None) -> Select[Any]:
    """A select of Person.id: everybody, or the persons of an area's subtree (`area_path`)."""
    people = select(Person.id)
    if area_path is None:
        return people
    return people.join(Area, Person.area_id == Area.id).where(within(Area.path, area_path))


def not_holding(session: Session, people: Any, today: date, policy: Policy) -> int:
    """How many of the persons `people` selects have kept items that do not hold for `today`
    (never worked out, stale, or worked out for a later day): the ones a reader works out first,
    and `verify` does not compare."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Person)
            .outerjoin(ObligationStamp, ObligationStamp.person_id == Person.id)
            .where(
                Person.id.in_(people),
                or_(ObligationStamp.person_id.is_(None), ~holds(today, policy.basis)),
            )
        )
        or 0
    )


# -- rolling with the days ------------------------------------------------------------------------


def prepare_roll(session: Session, today: date, policy: Policy, *, people: Any = None) -> int:
    """Mark as due for `roll` the managed persons never worked out (a bulk import, demo data) and
    those kept on other rules (the locality's file, calendar or time zone changed); with `people`
    (a select of Person.id), everyone it selects (a rebuild). Two statements, once a night; the
    count marked. Safe to run in several processes at once."""
    basis = policy.basis
    active = select(Person.id).where(Person.status.in_(ACTIVE_STATUSES))
    if people is not None:
        active = active.where(Person.id.in_(people))
    # Everyone managed, and the stamps' key skips those who have one: no anti-join, which PostgreSQL
    # plans on an empty stamps table (a first build) as a scan of that table per person, a table the
    # statement itself is filling: quadratic, 1,556 s for a country (BENCHMARKS.md §10a).
    insert_of = postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert
    new = (
        insert_of(_STAMPS)
        .from_select(
            ["person_id", "computed_for", "valid_until", "basis"],
            active.add_columns(literal(today), literal(today), literal("")),
        )
        .on_conflict_do_nothing()
        .returning(_STAMPS.c.person_id)
    )
    marked = len(session.execute(new).all())
    stale = ObligationStamp.valid_until > today
    if people is None:
        stale &= ObligationStamp.basis != basis
    else:
        stale &= ObligationStamp.person_id.in_(people)
    return marked + changed_rows(session, update(ObligationStamp).where(stale).values(valid_until=today))


def _due(today: date) -> ColumnElement[bool]:
    """A stamp `roll` takes on `today` (its person being managed)."""
    return (ObligationStamp.valid_until <= today) & (ObligationStamp.computed_for <= today)


def roll_pending(session: Session, today: date) -> int:
    """How many managed persons `roll` has still to work out on `today` (for a progress bar)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(ObligationStamp)
            .join(Person, Person.id == ObligationStamp.person_id)
            .where(_due(today), Person.status.in_(ACTIVE_STATUSES))
        )
        or 0
    )


def roll(session: Session, today: date, policy: Policy, *, batch: int = BATCH) -> int:
    """Work out one batch of the managed persons whose kept items no longer hold on `today` (a new
    period, or marked by `prepare_roll`); the count done, 0 when nobody is left. A closed case is
    worked out when its card is read. Claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
    processes running it at once share the persons, and a crashed process's batch (rolled back,
    its locks gone) is taken by the next claim. Idempotent: a person done today is not due again
    before their `valid_until`."""
    claim = (
        select(ObligationStamp.person_id)
        .join(Person, Person.id == ObligationStamp.person_id)
        .where(_due(today), Person.status.in_(ACTIVE_STATUSES))
        .limit(batch)
        .with_for_update(of=ObligationStamp, skip_locked=True)
    )
    due = session.scalars(claim).all()
    return refresh(session, due, today, policy) if due else 0


# -- checking -------------------------------------------------------------------------------------


Kept = tuple[str, str, str, str, int, int, str]  # obligation, start, end, due, required, done, colour


@dataclass(frozen=True)
class Difference:
    """One person whose kept items (or earliest open due date) differ from what their records give
    (ids, periods and dates only)."""

    person_id: int
    code: str
    kept: tuple[Kept, ...]
    recomputed: tuple[Kept, ...]
    first_open_due: tuple[date | None, date | None] | None = None  # (kept, recomputed) if they differ


def verify(session: Session, people: Any, today: date, policy: Policy) -> tuple[int, list[Difference]]:
    """Compare the kept items of the persons `people` selects with a recomputation from their
    records, as of `today`, writing nothing: (persons checked, differences). Persons whose kept items
    do not hold for the day (never worked out, or stale) are not compared: a reader works them out
    first."""
    basis = policy.basis
    checked, differences = 0, []
    ids = session.scalars(select(Person.id).where(Person.id.in_(people)).order_by(Person.id)).all()
    for chunk in chunks(ids, BATCH):
        persons = session.scalars(_PERSONS, {"ids": chunk}).all()
        fresh = evaluate(session, persons, today, policy)
        rows = session.execute(
            select(ObligationStamp.person_id, ObligationStamp.first_open_due).where(
                ObligationStamp.person_id.in_(chunk), holds(today, basis)
            )
        )
        holding: dict[int, date | None] = {pid: first for pid, first in rows}
        kept: dict[int, list[Kept]] = {pid: [] for pid in chunk}
        for i in session.scalars(select(ObligationItem).where(ObligationItem.person_id.in_(chunk))):
            kept[i.person_id].append(
                (
                    i.obligation,
                    str(i.period_start),
                    str(i.period_end),
                    str(i.due_date),
                    i.required,
                    i.done,
                    i.colour,
                )
            )
        for person in persons:
            checked += 1
            want = sorted(
                (
                    str(i.obligation),
                    str(i.period_start),
                    str(i.period_end),
                    str(i.due_date),
                    i.required,
                    i.done,
                    str(i.colour),
                )
                for i in fresh[person.id].items
            )
            if person.id not in holding:
                continue
            have = sorted(kept[person.id])
            first = (holding[person.id], first_open_due(fresh[person.id].items))
            if have != want or first[0] != first[1]:
                differs = first if first[0] != first[1] else None
                differences.append(Difference(person.id, person.code, tuple(have), tuple(want), differs))
    return checked, differences

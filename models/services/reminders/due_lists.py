"""Reminders (工作提醒): what each worker has due today and this week, and what is overdue.

The morning message (models.services.reminders.morning), /today and the ticked-off revisions are
all a `DueList` built from the same obligation rows as the card and the digests
(models.services.obligations.due). People are named by code and masked name (`杨**（P-001）`), never
by full name: a phone's lock screen shows the first lines of a message. Only the page shown
is named (`with_names`): a city's morning makes tens of thousands of lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.casework import Delegation
from models.chat import Chat
from models.people import Colour, Person, Role, Worker
from models.policy import Policy
from models.schedule import State
from models.services.identity import Identity
from models.services.obligations.due import ObligationRow, WeekRows, in_week, week_end, week_rows
from models.services.sql import bound_one_of, chunks, dialect_of, one_of

STAFF_ROLES = (
    Role.grid_worker,
    Role.cadre,
    Role.police,
    Role.medical,
    Role.psychologist,
    Role.disability_assistant,
)
BUCKETS = ("overdue", "today", "week", "done")
# Items a page of a list shows (one button each; with two page and two draft buttons, 12 a
# message): the people named are those of the page shown.
PAGE_LINES = 8
ItemKey = tuple[int, str, date]  # person, obligation, period start


class DueLine(NamedTuple):
    """One item of a due list: whose, what, by when; `bucket` "done" for an item ticked off since
    the list was first sent (then only person, obligation and period start are known).

    A named tuple, not a dataclass: a city's morning makes tens of thousands of them.
    """

    person_id: int
    code: str
    colour: Colour
    obligation: str
    period_start: date
    period_end: date
    due_date: date
    required: int
    done: int
    days_overdue: int
    bucket: str  # overdue | today | week | done
    name: str = ""  # the person's name, for the lines shown (`with_names`); masked when rendered

    @property
    def key(self) -> ItemKey:
        return (self.person_id, self.obligation, self.period_start)

    @property
    def ticked(self) -> bool:
        return self.bucket == "done"


@dataclass(frozen=True)
class Section:
    """One part of a due list (overdue, today, week, done): how many, and those shown."""

    name: str
    total: int
    lines: tuple[DueLine, ...]


@dataclass(frozen=True)
class DueList:
    """A worker's due list for one day, in display order (overdue, today, this week, done since)."""

    day: date
    week_end: date
    lines: tuple[DueLine, ...]
    later: int = 0  # open items due after this week (not listed)

    def bucket(self, name: str) -> tuple[DueLine, ...]:
        return tuple(line for line in self.lines if line.bucket == name)

    def kinds(self, bucket: str = "overdue") -> tuple[tuple[str, int], ...]:
        """How many items of each obligation a part holds, in the order the list shows them."""
        counts: dict[str, int] = {}
        for line in self.lines:
            if line.bucket == bucket:
                counts[line.obligation] = counts.get(line.obligation, 0) + 1
        return tuple(counts.items())

    def sections(self, cap: int, start: int = 0) -> tuple[Section, ...]:
        """The non-empty parts in order, each with its full count and its lines among the `cap`
        shown from `start` (a page of a long list)."""
        shown = self.lines[start : start + cap]
        found = []
        for name in BUCKETS:
            total = sum(line.bucket == name for line in self.lines)
            if total:
                found.append(Section(name, total, tuple(line for line in shown if line.bucket == name)))
        return tuple(found)

    # Counted once (a template asks more than once): the lines never change.
    @cached_property
    def open(self) -> int:
        return sum(not line.ticked for line in self.lines)

    @cached_property
    def ticked(self) -> int:
        return len(self.lines) - self.open

    @cached_property
    def people(self) -> int:
        return len({line.person_id for line in self.lines if not line.ticked})


def bucket_of(row: ObligationRow, today: date, sunday: date | None = None) -> str | None:
    """Where an open item belongs: overdue, due today, due this week (ending `sunday`, today's
    week_end); None for later (not on the list: models.services.obligations.due.in_week)."""
    if not in_week(today, row.due_date, row.period_end, sunday):
        return None
    if row.due_date < today:
        return "overdue"
    return "today" if row.due_date == today else "week"


def line_of(row: ObligationRow, bucket: str = "overdue") -> DueLine:
    """One obligation row as a list item (for a template)."""
    return DueLine(
        row.person_id,
        row.person_code,
        row.colour,
        str(row.obligation),
        row.period_start,
        row.period_end,
        row.due_date,
        row.required,
        row.done,
        row.days_overdue,
        bucket,
    )


_BUCKET_ORDER = {name: n for n, name in enumerate(BUCKETS)}


def due_list(
    rows: Iterable[ObligationRow],
    today: date,
    *,
    later: int = 0,
    listed: Sequence[ItemKey] = (),
    people: dict[int, tuple[str, Colour]] | None = None,
) -> DueList:
    """The due list of these rows: open items of this week and before, most urgent first; the open
    items after the week are counted, with `later` more not read (models.services.obligations.due.
    week_rows reads only the week's).

    Items of an earlier revision (`listed`) that are no longer open (done, or no longer owed) stay
    at the end as ticked off, so the worker sees the morning's work get done; `people` gives the
    code and colour of their persons when no row does.
    """
    lines: dict[ItemKey, DueLine] = {}
    known = dict(people or {})
    sunday = week_end(today)
    done = State.done
    for row in rows:
        known.setdefault(row.person_id, (row.person_code, row.colour))
        if row.state is done:
            continue
        bucket = bucket_of(row, today, sunday)
        if bucket is None:
            later += 1
            continue
        line = line_of(row, bucket)
        lines[line.key] = line
    order = _BUCKET_ORDER
    # Overdue work is grouped by kind (all the missed meetings, then the tests...), oldest first.
    opened = sorted(
        lines.values(),
        key=lambda x: (
            order[x.bucket],
            x.obligation if x.bucket == "overdue" else "",
            x.due_date,
            x.code,
            x.obligation,
        ),
    )
    ticked = []
    for person_id, obligation, start in dict.fromkeys(listed):
        if (person_id, obligation, start) in lines or person_id not in known:
            continue
        code, colour = known[person_id]
        ticked.append(DueLine(person_id, code, colour, obligation, start, start, start, 0, 0, 0, "done"))
    return DueList(today, sunday, (*opened, *ticked), later)


def with_names(due: DueList, names: dict[int, str], start: int = 0, count: int | None = None) -> DueList:
    """The list with the names of the people in lines[start:start+count] filled in (the page shown)."""
    end = len(due.lines) if count is None else start + count
    lines = tuple(
        line._replace(name=names.get(line.person_id, "")) if start <= n < end else line
        for n, line in enumerate(due.lines)
    )
    return DueList(due.day, due.week_end, lines, due.later)


def names_of(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """The names of these persons (to show masked beside their codes)."""
    return {pid: name for pid, name in _persons(session, person_ids, "name")}


def codes_of(session: Session, person_ids: Iterable[int]) -> dict[int, tuple[str, Colour]]:
    """Code and colour of these persons (for items ticked off whose rows are gone)."""
    return {pid: (code, colour) for pid, code, colour in _persons(session, person_ids, "code", "colour")}


def _persons(session: Session, person_ids: Iterable[int], *columns: str) -> Iterator[Any]:
    """Each of these persons' id and columns, read by id 500 at a time (a batch's lists name thousands)."""
    statement = _persons_by_id(dialect_of(session), columns)
    for part in chunks(sorted(set(person_ids)), 500):
        yield from session.execute(statement, {"ids": list(part)})


@cache
def _persons_by_id(dialect: str, columns: tuple[str, ...]) -> Select[Any]:
    """Built once per dialect and columns (a tick-off's list names its people on every save)."""
    persons = Person.__table__
    return select(persons.c.id, *(persons.c[name] for name in columns)).where(
        bound_one_of(dialect, persons.c.id, "ids")
    )


# -- who gets what ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A worker a reminder goes to (chat id = their Telegram account)."""

    worker_id: int
    chat_id: int
    name: str


def delegates_on(session: Session, day: date) -> dict[int, int]:
    """Workers on leave that day → the colleague their caseload is handed to."""
    rows = session.execute(
        select(Delegation.from_worker_id, Delegation.to_worker_id)
        .where(Delegation.cancelled.is_(False), Delegation.starts_on <= day, Delegation.ends_on >= day)
        .order_by(Delegation.id)
    )
    return {giver: taker for giver, taker in rows}


def set_reminder_time(
    session: Session, worker_id: int, value: str | None, *, actor: Actor, now: datetime
) -> None:
    """A worker's own morning time ("HH:MM", local) or None for the default; audited."""
    worker = session.get(Worker, worker_id)
    if worker is None:
        return
    worker.reminder_time = value
    audit(session, actor, "update", "worker", worker_id, at=now, detail="reminder_time")


def reminder_time(session: Session, worker_id: int) -> str | None:
    return session.scalar(select(Worker.reminder_time).where(Worker.id == worker_id))


_workers = Worker.__table__
# Built once with parameters (see models.services.sql): every saved record looks up its worker's chat.
_WORKER_CHAT = select(_workers.c.telegram_user_id).where(
    _workers.c.id == bindparam("worker"), _workers.c.active.is_(True)
)


def worker_chat(session: Session, worker_id: int) -> int | None:
    """The Telegram chat of an active worker (None: not linked, or gone)."""
    return session.execute(_WORKER_CHAT, {"worker": worker_id}).scalar()


def caseload_rows(session: Session, who: Identity, *, today: date, policy: Policy, now: datetime) -> WeekRows:
    """What the due list of the caller's caseload (care teams and delegations to them) shows; audited."""
    if who.worker_id is None:
        return WeekRows([], [])
    found = week_rows(session, today=today, policy=policy, caseload_of=who.worker_id)
    audit(session, who.actor, "list", "today", who.worker_id, at=now, detail=f"n={len(found.rows)}")
    return found


def chat_locales(session: Session, chat_ids: Iterable[int]) -> dict[int, str | None]:
    """The language of many chats at once, as models.services.identity.chat_locale gives one:
    the chat's own choice (/lang), else its worker's preference (reminders go to workers)."""
    ids = sorted(set(chat_ids))
    found: dict[int, str | None] = dict.fromkeys(ids)
    for chunk in chunks(ids):
        for chat_id, locale in session.execute(
            select(Worker.telegram_user_id, Worker.locale).where(
                one_of(session, Worker.telegram_user_id, chunk)
            )
        ):
            if chat_id is not None:  # always: it is one of the chunk's
                found[chat_id] = locale or found[chat_id]
        for chat_id, locale in session.execute(
            select(Chat.chat_id, Chat.locale).where(one_of(session, Chat.chat_id, chunk))
        ):
            found[chat_id] = locale or found[chat_id]
    return found

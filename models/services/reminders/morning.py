"""The morning message (早间提醒): who gets it when, what it lists, and its ticked-off revisions.

Each worker once a day, from their own reminder time (/settings) or the policy's, on working days
and before quiet hours begin. The list is the worker's responsible caseload, or, while a
colleague on leave has handed theirs over (工作委托), that colleague's as well. A `morning_marks`
row per worker and day records that the morning was dealt with, message or not.

The message is edited in place as work gets done: each revision is an outbox `edit` row keyed
`<morning key>:r<n>`. The items a revision listed are read back from its "why" buttons.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from sqlalchemy import Date, bindparam, delete, exists, func, or_, select, true
from sqlalchemy.orm import Session

from models.areas import subtree_ids
from models.callback_data import CallbackData, yyyymmdd
from models.casework import Delegation
from models.outbox import MorningMark, OutboxMessage
from models.people import CareAssignment, CaseRole, Person, Worker
from models.policy import Policy
from models.services.obligations.due import WeekRows, week_rows
from models.services.obligations.evaluate import local_midnight
from models.services.reminders.due_lists import STAFF_ROLES, ItemKey, Recipient, delegates_on
from models.services.sql import (
    changed_rows,
    chunks,
    insert_ignore_many,
    one_of,
    without_nested_loops,
)

MORNING = "morning"  # outbox purpose; dedupe key morning:<worker id>:<day>, edits add :r<n>
KEEP_MARKS = timedelta(days=7)  # only today's are read: a week, for whoever looks into a morning
# Statements on the hot path (a saved record ticks off a morning list) are built once, on the
# tables (see models.services.sql).
_assignments, _delegations, _outbox = CareAssignment.__table__, Delegation.__table__, OutboxMessage.__table__
_workers, _persons = Worker.__table__, Person.__table__


def _staff(area_path: str | None) -> Any:
    query = select(Worker.id, Worker.telegram_user_id, Worker.name).where(
        Worker.active.is_(True), Worker.telegram_user_id.is_not(None), Worker.role.in_(STAFF_ROLES)
    )
    if area_path is not None:
        query = query.where(Worker.area_id.in_(subtree_ids(area_path)))
    return query


def morning_due(
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    area_path: str | None = None,
    everyone: bool = False,
    worker_ids: Collection[int] | None = None,
    claim: int | None = None,
) -> list[Recipient]:
    """Workers whose morning message is due now and not yet dealt with today.

    Due from their own reminder time (or the policy's) until quiet hours begin; `everyone` (a
    sweep run by hand) ignores the times. `worker_ids` (workers given people late, who had no list
    today) asks about these workers only, dealt with or not: a list that was empty may not be now.
    With `claim`, at most that many, locked until the unit of work ends and skipped by any other
    process claiming at the same time (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and marked dealt
    with in this unit of work (`mark_morning_done`): the processes share one morning, and a crashed
    process's claim, marks and all, is free again when its transaction is rolled back.
    """
    local = now.astimezone(policy.tz)
    clock, day = local.strftime("%H:%M"), local.date()
    query = _staff(area_path)
    if not everyone:
        if local.time() >= policy.quiet_from:
            return []
        reached = Worker.reminder_time <= clock
        if policy.morning_at.strftime("%H:%M") <= clock:
            reached = or_(reached, Worker.reminder_time.is_(None))
        query = query.where(reached)
    if worker_ids is not None:
        return [Recipient(*row) for row in session.execute(query.where(Worker.id.in_(sorted(worker_ids))))]
    if claim is not None:
        return _claim(session, query, claim, day=day, now=now)
    done = set(session.scalars(select(MorningMark.worker_id).where(MorningMark.day == day)))
    return [Recipient(*row) for row in session.execute(query) if row[0] not in done]


def _claim(session: Session, query: Any, size: int, *, day: date, now: datetime) -> list[Recipient]:
    """Up to `size` of the staff `query` selects not yet marked today, locked (`SKIP LOCKED`) and
    marked in this unit of work.

    Claims go up the workers' ids, so a claim starts above the highest worker marked today instead
    of walking past every one marked before (a country's claims grew with the day's marks); when
    none is left above, a claim from the start finds those below (a crashed process's, or those
    whose time came later). The claim's snapshot is older than its locks: a worker another process
    marked and let go meanwhile looks undone to it. Marking them tells, by the marks' key (one a
    worker and day: a mark already there is not inserted again); if that was all it got, it claims
    again (a new snapshot leaves those out). A read of the day's marks by worker instead was planned
    as a scan of all of them (their statistics taken before the day's first): 16 of a country's 111 s.
    """
    dealt_with = exists().where(MorningMark.day == day, MorningMark.worker_id == Worker.id)
    query = query.where(~dealt_with).order_by(Worker.id).limit(size)
    highest = session.scalar(select(func.max(MorningMark.worker_id)).where(MorningMark.day == day))
    for above in ([] if highest is None else [Worker.id > highest]) + [true()]:
        claim_query = query.where(above).with_for_update(of=Worker, skip_locked=True)
        while True:
            with without_nested_loops(session):  # planned right before the day's marks are analyzed
                claimed = [Recipient(*r) for r in session.execute(claim_query)]
            ours = set(mark_morning_done(session, [r.worker_id for r in claimed], day=day, now=now))
            if fresh := [r for r in claimed if r.worker_id in ours]:
                return fresh
            if not claimed:
                break
    return []


def mark_morning_done(session: Session, worker_ids: Sequence[int], *, day: date, now: datetime) -> list[int]:
    """Remember that these workers' morning is dealt with today (message or not): once a day. The
    workers marked by this call (not those marked before)."""
    values = [{"day": day, "worker_id": w, "marked_at": now} for w in worker_ids]
    return insert_ignore_many(session, MorningMark, values, ["day", "worker_id"], MorningMark.worker_id)


def prune_morning_marks(session: Session, *, today: date) -> int:
    """Forget the marks of mornings more than KEEP_MARKS ago (only a day's own are read)."""
    return changed_rows(session, delete(MorningMark).where(MorningMark.day < today - KEEP_MARKS))


def morning_people(session: Session, worker_ids: Sequence[int], giving: dict[int, int]) -> list[int]:
    """The persons these workers' morning lists are about: those whose responsible worker is one of
    them, or one of the colleagues who handed to them. Read first, by the assignments' worker index,
    so that the lists' queries go by person id: as a subquery, PostgreSQL read every person and
    every kept stamp for each batch (85 ms a batch for a province, ten times that for a country)."""
    wanted = set(worker_ids) | {giver for giver, taker in giving.items() if taker in set(worker_ids)}
    return list(
        session.scalars(
            select(CareAssignment.person_id)
            .where(
                CareAssignment.case_role == CaseRole.responsible,
                one_of(session, CareAssignment.worker_id, sorted(wanted)),
            )
            .distinct()
        )
    )


def morning_rows(
    session: Session, worker_ids: Sequence[int], *, today: date, policy: Policy
) -> dict[int, WeekRows]:
    """What each worker's morning list shows (their own people, and those handed to them)."""
    giving = delegates_on(session, today)
    people = morning_people(session, worker_ids, giving)
    found: dict[int, WeekRows] = {w: WeekRows([], []) for w in worker_ids}
    if not people:
        return found
    week = week_rows(session, today=today, policy=policy, where=one_of(session, _persons.c.id, people))
    for row in week.rows:
        if (owner := _owner(row.worker_id, giving)) in found:
            found[owner].rows.append(row)
    for later in week.later:
        if (owner := _owner(later.worker_id, giving)) in found:
            found[owner].later.append(later)
    return found


def _owner(worker_id: int | None, giving: dict[int, int]) -> int | None:
    """Whose list a responsible worker's person is on (their colleague's while they are away)."""
    return None if worker_id is None else giving.get(worker_id, worker_id)


# -- the morning message and its revisions -------------------------------------------------------


def morning_key(worker_id: int, day: date) -> str:
    return f"{MORNING}:{worker_id}:{day.isoformat()}"


@dataclass(frozen=True)
class Revision:
    """The latest version of a worker's morning message: its key and what it shows."""

    base_key: str
    key: str
    number: int  # 0: the message as sent; n: the n-th edit
    text: str
    buttons: list[list[list[str]]]


# Built once with parameters: asked on every saved record (is there a list to tick off?).
_REVISIONS = (
    select(_outbox.c.dedupe_key, _outbox.c.payload)
    .where(
        _outbox.c.chat_id == bindparam("chat"),
        _outbox.c.purpose == MORNING,
        or_(_outbox.c.dedupe_key == bindparam("key"), _outbox.c.dedupe_key.like(bindparam("edits"))),
    )
    .order_by(_outbox.c.id)
)


def latest_revision(session: Session, chat_id: int, base_key: str) -> Revision | None:
    """The morning message (or its latest edit) of this day, or None if none was queued."""
    params = {"chat": chat_id, "key": base_key, "edits": f"{base_key}:r%"}
    rows = session.execute(_REVISIONS, params).all()
    if not rows:
        return None
    return _latest(base_key, rows)


def _latest(base_key: str, versions: Sequence[tuple[str, Any]]) -> Revision:
    """The last of a message's versions (key, payload), oldest first: the message, then its edits."""
    key, payload = versions[-1]
    return Revision(base_key, key, len(versions) - 1, payload.get("text", ""), payload.get("buttons", []))


def latest_revisions(
    session: Session, sent: dict[int, int], day: date, policy: Policy
) -> dict[int, Revision]:
    """`latest_revision` of many workers at once (worker → the chat their message of `day` went
    to, as `morning_sent` gives): one read of their chats' morning messages of the day, not one
    per worker (the refresh pass over a province's 8,582 lists)."""
    wanted = {morning_key(worker_id, day): (worker_id, chat_id) for worker_id, chat_id in sent.items()}
    found: dict[str, list[tuple[str, Any]]] = {}
    since = local_midnight(day, policy.tz)
    for chunk in chunks(sorted(set(sent.values()))):
        rows = session.execute(
            select(_outbox.c.chat_id, _outbox.c.dedupe_key, _outbox.c.payload)
            .where(
                one_of(session, _outbox.c.chat_id, chunk),
                _outbox.c.purpose == MORNING,
                _outbox.c.created_at >= since,
            )
            .order_by(_outbox.c.id)
        )
        for chat_id, key, payload in rows:
            base, _, edit = key.rpartition(":")
            base = base if edit.startswith("r") and edit[1:].isdigit() else key
            if base in wanted and wanted[base][1] == chat_id:
                found.setdefault(base, []).append((key, payload))
    return {wanted[base][0]: _latest(base, versions) for base, versions in found.items()}


@dataclass(frozen=True)
class WhyOpen(CallbackData, prefix="why"):
    """Button data of "why is this due?": `why:<person>:<obligation>[:<YYYYMMDD>]` (≤ 64 bytes)."""

    person_id: int
    obligation: Annotated[str, r"[a-z0-9_]{1,32}"]
    period_start: date | None = None

    def pack(self) -> str:
        """Hot (a morning packs tens of thousands), so by hand: the tests hold it to the generic pack."""
        if self.period_start is None:
            return super().pack()
        return f"why:{self.person_id}:{self.obligation}:{yyyymmdd(self.period_start)}"


def why_data(person_id: int, obligation: str, period_start: date) -> str:
    """The why button of an item (a city's morning has tens of thousands: see WhyOpen)."""
    return WhyOpen(person_id, obligation, period_start).pack()


def listed_keys(revision: Revision) -> list[ItemKey]:
    """The items a revision listed, read back from its "why" buttons."""
    keys = []
    for row in revision.buttons:
        for _label, data in row:
            prefix, _, rest = str(data).partition(":")
            why = WhyOpen.parse(rest) if prefix == WhyOpen.PREFIX else None
            if why is not None and why.period_start is not None:
                keys.append((why.person_id, why.obligation, why.period_start))
    return keys


def morning_sent(session: Session, day: date, policy: Policy) -> dict[int, int]:
    """Workers whose morning message of `day` was queued → their chat (for the refresh pass)."""
    since = local_midnight(day, policy.tz)
    rows = session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.dedupe_key).where(
            OutboxMessage.purpose == MORNING, OutboxMessage.created_at >= since
        )
    )
    found = {}
    for chat_id, key in rows:
        parts = key.split(":")
        if len(parts) == 3 and parts[2] == day.isoformat() and parts[1].isdigit():
            found[int(parts[1])] = chat_id
    return found


def unlinked_staff(session: Session, *, area_path: str | None = None) -> int:
    """Active staff without a linked Telegram account: they get no reminders at all."""
    query = (
        select(func.count())
        .select_from(Worker)
        .where(Worker.active.is_(True), Worker.telegram_user_id.is_(None), Worker.role.in_(STAFF_ROLES))
    )
    if area_path is not None:
        query = query.where(Worker.area_id.in_(subtree_ids(area_path)))
    return session.scalar(query) or 0


# Built once with parameters: every saved record asks whose morning list its person is on. The
# responsible worker (the lowest id if several), or the latest of that day's delegations from them
# (as in delegates_on), in one statement.
_RESPONSIBLE = (
    select(func.min(_assignments.c.worker_id))
    .where(
        _assignments.c.person_id == bindparam("person"),
        _assignments.c.case_role == CaseRole.responsible.value,
    )
    .scalar_subquery()
)
_DELEGATE = (
    select(_delegations.c.to_worker_id)
    .where(
        _delegations.c.from_worker_id == _RESPONSIBLE,
        _delegations.c.cancelled.is_(False),
        _delegations.c.starts_on <= bindparam("day", type_=Date),
        _delegations.c.ends_on >= bindparam("day", type_=Date),
    )
    .order_by(_delegations.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_OWNER_ID = func.coalesce(_DELEGATE, _RESPONSIBLE)
_OWNER = select(_OWNER_ID)
_OWNER_CHAT = select(_workers.c.id, _workers.c.telegram_user_id).where(
    _workers.c.id == _OWNER_ID, _workers.c.active.is_(True), _workers.c.telegram_user_id.is_not(None)
)


def morning_owner(session: Session, person_id: int, day: date) -> int | None:
    """Whose morning list a person is on that day: the responsible worker, or their delegate."""
    return session.execute(_OWNER, {"person": person_id, "day": day}).scalar()


def morning_owner_chat(session: Session, person_id: int, day: date) -> tuple[int, int] | None:
    """`morning_owner` and the Telegram chat their morning list went to, in one read; None if the
    person has no owner that day or the owner is gone or not linked (no list to tick off)."""
    found = session.execute(_OWNER_CHAT, {"person": person_id, "day": day}).first()
    return None if found is None else (found.id, found.telegram_user_id)

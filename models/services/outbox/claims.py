"""Claiming due outbox rows for a sender: which rows may go now, one per chat, under a lease.

A row may go when it is due (pending and available, or claimed by a sender whose lease ran out)
and deliverable: urgent rows always; others outside quiet hours and while the chat has no form
open (its active draft touched within `form_hold`): a reminder never interrupts a report
being filled in. Reminders (`HELD_ON_REST_DAYS`) are not sent on rest days either (weekends and
public holidays, but a swapped working day, 调休, is a working day): queued on or for a holiday,
they wait for the next working day's morning, as they wait out quiet hours.

Per chat, one row at a time and in order (see `_first_of_chat`), and only once the chat's pace
allows. On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so
concurrent senders never take the same row; SQLite runs the same atomic UPDATE … RETURNING under
its single writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select, true, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from models.chat import Conversation
from models.outbox import OutboxMessage, OutboxStatus, SendPace
from models.policy import Policy
from models.services.campaigns import CAMPAIGN
from models.services.outbox.delivery import finish, mark_dead, release
from models.services.outbox.pace import Pacing, reserve_slots
from models.services.reminders.morning import MORNING
from models.services.reminders.overdue import CASE_END, OVERDUE

EDIT_CHAIN = 5  # an edit of an edit of … is followed this far to the message it changes

# The reminders (issue 5: "not sent on holidays unless urgent"), by outbox purpose. A campaign
# day's own reminder (CAMPAIGN_DAY) is not among them: the campaign happens that day, whatever
# day it is. Alerts, family messages, notices and digests keep to quiet hours only.
CAMPAIGN_DAY = f"{CAMPAIGN}_day"
HELD_ON_REST_DAYS = (MORNING, OVERDUE, CASE_END, CAMPAIGN)


@dataclass(frozen=True)
class Claimed:
    """A claimed row ready to send: `payload` is final (edits carry the message id to change)."""

    id: int
    chat_id: int
    purpose: str
    urgent: bool
    attempts: int
    payload: dict[str, Any]
    slot: float  # wall-clock moment its send may start


def in_quiet_hours(policy: Policy, moment: datetime) -> bool:
    """Whether `moment` falls in the policy's quiet hours (local time; may span midnight)."""
    local = moment.astimezone(policy.tz).time()
    start, end = policy.quiet_from, policy.quiet_until
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def is_rest_day(policy: Policy, moment: datetime) -> bool:
    """Whether `moment` falls on a rest day (weekend or public holiday, local date) of the calendar."""
    return not policy.calendar.is_working_day(policy.local_date(moment))


def _ready(row: Any, now: datetime) -> ColumnElement[bool]:
    """Due now: pending and available, or claimed by a sender whose lease has run out."""
    return or_(
        and_(row.status == OutboxStatus.pending, row.available_at <= now),
        and_(row.status == OutboxStatus.sending, row.locked_until <= now),
    )


@dataclass(frozen=True)
class _Hold:
    """What holds non-urgent rows at the moment of a claim."""

    quiet: bool  # quiet hours: everything not urgent waits
    rest_day: bool  # a rest day: reminders wait
    form_since: datetime  # a form touched after this is open: its chat's rows wait


def _deliverable(row: Any, hold: _Hold) -> ColumnElement[bool]:
    """Urgent rows always; others outside quiet hours, while no form is open in the chat, and
    (reminders) on working days."""
    if hold.quiet:
        return row.urgent == true()
    open_form = exists().where(  # the draft being filled in; kept ones hold nothing
        Conversation.chat_id == row.chat_id,
        Conversation.active.is_(True),
        Conversation.updated_at > hold.form_since,
    )
    if hold.rest_day:
        return or_(row.urgent == true(), and_(~open_form, row.purpose.not_in(HELD_ON_REST_DAYS)))
    return or_(row.urgent == true(), ~open_form)


def _eligible(row: Any, now: datetime, hold: _Hold) -> ColumnElement[bool]:
    return and_(_ready(row, now), _deliverable(row, hold))


def _first_of_chat(row: Any, now: datetime, hold: _Hold) -> ColumnElement[bool]:
    """One at a time per chat, in order: nothing in flight in the chat, and no older row that may go
    now or waits to be retried. Urgent rows only wait for older urgent ones: an alert overtakes
    reminders. Rows held (quiet hours, an open form, a rest day) or queued for later hold back nothing.
    """
    older = aliased(OutboxMessage)
    flying = aliased(OutboxMessage)
    retrying = and_(older.status == OutboxStatus.pending, older.attempts > 0)
    return and_(
        ~exists().where(
            older.chat_id == row.chat_id,
            # implied by the conditions below; said outright so the lookup seeks ix_outbox_chat to
            # the chat's unsent rows instead of reading every message ever sent to the chat
            older.status.in_((OutboxStatus.pending, OutboxStatus.sending)),
            older.id < row.id,
            or_(older.urgent == true(), row.urgent == false()),
            or_(_eligible(older, now, hold), retrying),
        ),
        ~exists().where(
            flying.chat_id == row.chat_id,
            flying.status == OutboxStatus.sending,
            flying.locked_until > now,
        ),
    )


def _due_query(
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    form_hold: timedelta,
    wall: float | None,
    limit: int,
    lock: bool = True,
) -> Any:
    row = aliased(OutboxMessage, name="o")
    hold = _Hold(in_quiet_hours(policy, now), is_rest_day(policy, now), now - form_hold)
    conditions = [_eligible(row, now, hold), _first_of_chat(row, now, hold)]
    if wall is not None:
        conditions.append(~exists().where(SendPace.scope == row.chat_id, SendPace.next_at > wall))
    query = select(row.id).where(*conditions).order_by(row.urgent.desc(), row.id).limit(limit)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=row)
    return query


def claim_due(
    session: Session,
    *,
    owner: str,
    now: datetime,
    policy: Policy,
    limit: int,
    lease: timedelta,
    form_hold: timedelta,
    pacing: Pacing,
) -> list[Claimed]:
    """Claim up to `limit` rows that may be sent now (one per chat) and give each a send slot.

    Edits of a message not sent yet are folded into that message here and need no send.
    """
    pick = _due_query(session, now=now, policy=policy, form_hold=form_hold, wall=pacing.wall, limit=limit)
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(pick.scalar_subquery()))
        .values(
            status=OutboxStatus.sending,
            locked_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
            claimed_by=owner,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.chat_id,
            OutboxMessage.purpose,
            OutboxMessage.urgent,
            OutboxMessage.attempts,
            OutboxMessage.payload,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted(session.execute(stmt).all(), key=lambda r: (not r.urgent, r.id))
    ready: list[tuple[Any, dict[str, Any]]] = []
    for row in rows:
        payload = dict(row.payload)
        if payload.get("kind") == "edit" and "message_id" not in payload:  # else it names its message
            resolved = _resolve_edit(session, row.id, payload, owner=owner, now=now)
            if resolved is None:
                continue
            payload = resolved
        ready.append((row, payload))
    slots = reserve_slots(session, [row.chat_id for row, _ in ready], pacing)
    return [
        Claimed(row.id, row.chat_id, row.purpose, row.urgent, row.attempts, payload, slot)
        for (row, payload), slot in zip(ready, slots, strict=True)
    ]


def _resolve_edit(
    session: Session, row_id: int, payload: dict[str, Any], *, owner: str, now: datetime
) -> dict[str, Any] | None:
    """The edit as a send-ready payload, or None when it was settled here (folded in, dead, later)."""
    target = _by_key(session, payload.get("edit_of"))
    for _ in range(EDIT_CHAIN):  # an edit of an edit changes the same message
        if target is None or target.payload.get("kind") != "edit":
            break
        target = _by_key(session, target.payload.get("edit_of"))
    if target is not None and target.payload.get("kind") == "edit":
        target = None  # a chain longer than anyone writes
    if target is None or target.status == OutboxStatus.dead:
        mark_dead(session, row_id, owner=owner, error="edit: the message to edit was never sent", now=now)
        return None
    kind = target.payload.get("kind")
    if kind not in ("send", "photo"):
        mark_dead(session, row_id, owner=owner, error=f"edit: cannot edit a {kind} message", now=now)
        return None
    if target.status == OutboxStatus.sent:
        if kind != "send" or target.message_id is None:
            mark_dead(session, row_id, owner=owner, error="edit: only a text message can be edited", now=now)
            return None
        return {**payload, "message_id": target.message_id}
    if target.status == OutboxStatus.pending:
        field_name = "text" if kind == "send" else "caption"
        merged = {**target.payload, field_name: payload.get("text"), "buttons": payload.get("buttons", [])}
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == target.id)
            .values(payload=merged)
            .execution_options(synchronize_session=False)
        )
        finish(session, row_id, owner, status=OutboxStatus.sent, now=now, error=f"folded into #{target.id}")
        return None
    # The message is being sent right now (by another sender): try the edit again shortly.
    release(session, [row_id], owner=owner)
    return None


def _by_key(session: Session, key: Any) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == str(key)))


def due_count(session: Session, *, now: datetime, policy: Policy, form_hold: timedelta) -> int:
    """How many rows could go now if the pace allowed (for draining in tests and the CLI)."""
    pick = _due_query(
        session, now=now, policy=policy, form_hold=form_hold, wall=None, limit=1_000_000, lock=False
    )
    return session.scalar(select(func.count()).select_from(pick.subquery())) or 0

"""Storing drafts (草稿): the forms a chat is filling in, so they survive restarts and transport switches.

A chat keeps one draft per form and person (its `subject`); the active one takes what is typed.
A draft left idle expires, but never unannounced: it goes only once the message announcing its
expiry (queued by the drafts job: `warned_at`, `warning_id`) was delivered at least `WARN_BEFORE`
before, and it was not touched since. A message held (quiet hours, another form being filled in)
holds the draft too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from models.chat import Conversation
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Person
from models.services.notify import Notifier
from models.services.sql import upsert

WARN_BEFORE = timedelta(minutes=30)  # how long before it goes a draft is announced
GIVE_UP = timedelta(days=2)  # an announcement never delivered by then (its row pruned): the draft goes


@dataclass
class DialogState:
    """A half-filled form: which dialog, which step, the answers so far, and the dialog engine's own
    bookkeeping (handlers.dialogs.engine) beside them, never among them."""

    chat_id: int
    dialog: str
    step: str
    nonce: int
    started_at: datetime
    updated_at: datetime
    data: dict[str, Any] = field(default_factory=dict)  # the answers by step name, and the start data
    id: int | None = None  # None until first saved
    subject: str = ""
    active: bool = True
    expires_at: datetime | None = None
    warned_at: datetime | None = None
    history: list[str] = field(default_factory=list)  # the steps answered, in order: where « goes back to
    offered: list[Any] = field(default_factory=list)  # the current step's choices as shown, by button index
    # Names this run of the form for good (the nonce, six digits in every button, repeats over a
    # worker's years of reports). None only in a draft begun before runs were named: its nonce then.
    run_id: str | None = None
    revisit: bool = False  # the current step was opened from the confirm screen, and goes back to it

    @property
    def key(self) -> str:
        """What saving this form is keyed by: confirmed twice at once (a double tap racing), it saves
        once; another form never collides with it."""
        return f"{self.chat_id}:{self.run_id or self.nonce}"


@dataclass(frozen=True)
class DraftLine:
    """A draft as listed to its user (/today, the expiry notice)."""

    id: int
    chat_id: int
    dialog: str
    nonce: int
    step: str
    person_code: str | None
    updated_at: datetime
    expires_at: datetime
    active: bool = False


_c = Conversation.__table__.c
_COLUMNS = (
    _c.id,
    _c.chat_id,
    _c.dialog,
    _c.step,
    _c.nonce,
    _c.started_at,
    _c.updated_at,
    _c.data,
    _c.subject,
    _c.active,
    _c.expires_at,
    _c.warned_at,
    _c.history,
    _c.offered,
    _c.run_id,
    _c.revisit,
)
# Built once: the active draft is read on most updates.
_LOAD = select(*_COLUMNS).where(_c.chat_id == bindparam("chat"), _c.active.is_(True)).limit(1)
_BY_NONCE = select(*_COLUMNS).where(_c.chat_id == bindparam("chat"), _c.nonce == bindparam("nonce")).limit(1)
_BY_SUBJECT = select(*_COLUMNS).where(
    _c.chat_id == bindparam("chat"), _c.dialog == bindparam("dialog"), _c.subject == bindparam("subject")
)
_DROP = delete(Conversation.__table__).where(_c.id == bindparam("draft"))
_UPDATE = update(Conversation.__table__).where(_c.id == bindparam("draft"))
_CLEAR = delete(Conversation.__table__).where(_c.chat_id == bindparam("chat"))
_SET_ASIDE = (  # the chat's other active draft, when a form becomes the active one
    update(Conversation.__table__)
    .where(_c.chat_id == bindparam("chat"), _c.id != bindparam("draft"), _c.active.is_(True))
    .values(active=False)
)
# Every saved or cancelled form lists the drafts left.
_ALL = select(*_COLUMNS).where(_c.chat_id == bindparam("chat")).order_by(_c.updated_at.desc(), _c.id.desc())


def _state(row: Any) -> DialogState:
    return DialogState(
        row.chat_id,
        row.dialog,
        row.step,
        row.nonce,
        row.started_at,
        row.updated_at,
        dict(row.data),
        row.id,
        row.subject,
        row.active,
        row.expires_at,
        row.warned_at,
        list(row.history),
        list(row.offered),
        row.run_id,
        row.revisit,
    )


def load_dialog(session: Session, chat_id: int) -> DialogState | None:
    """The chat's active draft (the one what it types goes to), if any."""
    row = session.execute(_LOAD, {"chat": chat_id}).first()
    return _state(row) if row else None


def load_draft(session: Session, chat_id: int, nonce: int) -> DialogState | None:
    """The chat's draft whose buttons carry this nonce, active or not."""
    row = session.execute(_BY_NONCE, {"chat": chat_id, "nonce": nonce}).first()
    return _state(row) if row else None


def find_draft(session: Session, chat_id: int, dialog: str, subject: str) -> DialogState | None:
    """The chat's draft of this form about this subject, if any."""
    row = session.execute(_BY_SUBJECT, {"chat": chat_id, "dialog": dialog, "subject": subject}).first()
    return _state(row) if row else None


def new_dialog(chat_id: int, dialog: str, step: str, data: dict[str, Any], *, now: datetime) -> DialogState:
    """A fresh state with a new nonce, so buttons of any earlier form are recognised as stale, and
    a new run id, so what it saves is its own."""
    state = DialogState(chat_id, dialog, step, secrets.randbelow(10**6), now, now, data)
    state.run_id = secrets.token_hex(12)
    return state


def save_dialog(
    session: Session, state: DialogState, *, now: datetime, ttl: timedelta = timedelta(hours=2)
) -> None:
    """Keep the draft as the chat's active one, idle from now: it expires `ttl` from now.

    A draft not active before (new, or resumed) makes the chat's other drafts inactive.
    """
    values = {
        "chat_id": state.chat_id,
        "dialog": state.dialog,
        "subject": state.subject,
        "active": True,
        "step": state.step,
        "nonce": state.nonce,
        "data": dict(state.data),
        "history": list(state.history),
        "offered": list(state.offered),
        "run_id": state.run_id,
        "revisit": state.revisit,
        "started_at": state.started_at,
        "updated_at": now,
        "expires_at": now + ttl,
    }
    if state.id is None:  # two updates racing to start the same form keep one draft
        state.id = upsert(session, Conversation, values, ["chat_id", "dialog", "subject"], returning=_c.id)
    else:
        session.execute(_UPDATE, {"draft": state.id, **values})
    if not state.active:
        session.execute(_SET_ASIDE, {"chat": state.chat_id, "draft": state.id})
    state.active, state.updated_at, state.expires_at = True, now, now + ttl


def pause_drafts(session: Session, chat_id: int) -> None:
    """No draft of the chat is active: what it types next goes to no form (the drafts are kept)."""
    session.execute(
        update(Conversation.__table__).where(_c.chat_id == chat_id, _c.active.is_(True)).values(active=False)
    )


def drop_draft(session: Session, draft_id: int | None) -> None:
    """Forget one draft (saved, cancelled, expired or replaced: the caller has told the user)."""
    if draft_id is not None:
        session.execute(_DROP, {"draft": draft_id})


def clear_dialog(session: Session, chat_id: int) -> None:
    """Forget every draft of the chat (an account silenced: nobody is there to be told)."""
    session.execute(_CLEAR, {"chat": chat_id})


# -- listing and expiry ------------------------------------------------------------------------


def _lines(session: Session, rows: Sequence[Any]) -> list[DraftLine]:
    people = {int(p) for r in rows if str(p := r.data.get("person", "")).isdigit()}
    codes = (
        {
            pid: code
            for pid, code in session.execute(select(Person.id, Person.code).where(Person.id.in_(people)))
        }
        if people
        else {}
    )
    return [
        DraftLine(
            r.id,
            r.chat_id,
            r.dialog,
            r.nonce,
            r.step,
            codes.get(int(p)) if str(p := r.data.get("person", "")).isdigit() else None,
            r.updated_at,
            r.expires_at,
            r.active,
        )
        for r in rows
    ]


def list_drafts(session: Session, chat_id: int) -> list[DraftLine]:
    """The chat's drafts, the most recently touched first."""
    return _lines(session, session.execute(_ALL, {"chat": chat_id}).all())


def drafts_to_warn(session: Session, *, now: datetime, limit: int = 500) -> list[DraftLine]:
    """Drafts within WARN_BEFORE of their expiry whose expiry was not announced since last touched."""
    rows = session.execute(
        select(*_COLUMNS)
        .where(
            _c.expires_at <= now + WARN_BEFORE,
            or_(_c.warned_at.is_(None), _c.warned_at < _c.updated_at),
        )
        .order_by(_c.expires_at, _c.id)
        .limit(limit)
    )
    return _lines(session, rows.all())


def mark_warned(session: Session, warnings: Sequence[tuple[int, int | None]], *, now: datetime) -> None:
    """The drafts (id, outbox id of the notice) whose expiry was announced now."""
    for draft_id, outbox_id in warnings:
        values: dict[str, Any] = {"warned_at": now}
        if outbox_id is not None:
            values["warning_id"] = outbox_id
        session.execute(update(Conversation.__table__).where(_c.id == draft_id).values(**values))


def drop_expired(session: Session, *, now: datetime) -> int:
    """Forget the drafts past their expiry whose announcement reached the user WARN_BEFORE ago (or
    could not: the chat is gone) and that were not touched since: how many."""
    told = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.id == _c.warning_id,
            or_(
                and_(OutboxMessage.status == OutboxStatus.sent, OutboxMessage.sent_at <= now - WARN_BEFORE),
                OutboxMessage.status == OutboxStatus.dead,
            ),
        )
        .exists()
    )
    result = session.execute(
        delete(Conversation.__table__).where(
            _c.expires_at <= now,
            _c.warned_at.is_not(None),
            _c.warned_at >= _c.updated_at,
            or_(told, _c.warned_at <= now - GIVE_UP),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


EXPIRING = "draft_expiring"  # the outbox purpose of an expiry notice


def expire_drafts(
    session: Session, notifier: Notifier, *, now: datetime, resume: Callable[[int], str]
) -> int:
    """Tell each user whose draft will expire soon (once per idle spell), with a button to go on
    (`resume(nonce)`: the dialog engine's data for it); forget the drafts whose announced expiry
    came. The count of notices queued and drafts gone."""
    due = drafts_to_warn(session, now=now)
    warned = []
    for draft in due:
        # Closed no sooner than WARN_BEFORE after the notice arrives (see drop_expired).
        closes_at = max(draft.expires_at, now + WARN_BEFORE)
        outbox_id = notifier.notify(
            draft.chat_id,
            "dialog/draft_expiring",
            purpose=EXPIRING,
            dedupe_key=f"{EXPIRING}:{draft.id}:{draft.updated_at.isoformat()}",
            buttons=[[("dr_btn_resume", resume(draft.nonce))]],
            draft=draft,
            closes_at=closes_at,
        )
        warned.append((draft.id, outbox_id))
    mark_warned(session, warned, now=now)
    return len(due) + drop_expired(session, now=now)

"""Ending a worker's Telegram link and unused invites: one rule for every way a worker leaves or returns.

A worker who stops (`gridcare worker deactivate`, an import with 在岗=否) or comes back (an import
with 在岗=是) starts from nothing: no account linked, no invite left that could link one. Whoever
returns gets a new invite; an account or a code from before never carries over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Invite, Worker
from models.services.conversations import clear_dialog


def revoke_worker_invites(session: Session, worker_id: int, *, actor: Actor, now: datetime) -> int:
    """Unused, unexpired invites of the worker expire now (one `revoke` audit each); returns how many."""
    ids = session.scalars(
        select(Invite.id)
        .where(Invite.worker_id == worker_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .order_by(Invite.id)
    ).all()
    if not ids:
        return 0
    session.execute(update(Invite).where(Invite.id.in_(ids)).values(expires_at=now))
    for invite_id in ids:
        audit(session, actor, "revoke", "invite", invite_id, at=now, detail=f"worker:{worker_id}")
    return len(ids)


def silence_chat(session: Session, chat_id: int) -> None:
    """Nothing more reaches an unlinked account: its open form is dropped, its queued messages are dead."""
    clear_dialog(session, chat_id)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.pending)
        .values(status=OutboxStatus.dead, last_error="recipient deactivated")
    )


def restart_worker_link(
    session: Session, worker: Worker, *, active: bool, actor: Actor, now: datetime, why: str
) -> None:
    """The worker's active state changes (or an inactive one still holds a link): set it, unlink
    their account, revoke their unused invites, audit each step."""
    old_chat = worker.telegram_user_id
    was_active = worker.active
    # One statement, so no moment exists where the account is linked to a worker in the new state.
    session.execute(update(Worker).where(Worker.id == worker.id).values(active=active, telegram_user_id=None))
    session.refresh(worker, ["active", "telegram_user_id"])
    if old_chat is not None:
        silence_chat(session, old_chat)
        audit(
            session, actor, "unlink", "worker", worker.id, at=now, detail=f"telegram account unlinked ({why})"
        )
    revoke_worker_invites(session, worker.id, actor=actor, now=now)
    if was_active != active:
        action = "reactivate" if active else "deactivate"
        audit(session, actor, action, "worker", worker.id, at=now, detail=why)

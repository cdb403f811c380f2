"""Replies kept for later: an update's answers that Telegram could not take when it was handled.

bot/replies.py performs an update's replies at once; what fails past its few attempts (Telegram
down, 5xx, a long 429) is queued here as outbox rows of purpose `reply`, which the sender delivers
like any other message once Telegram answers again. Each row's dedupe key is the update and the
action's place among its replies, so queueing the same replies twice adds nothing. Replies are
urgent: the user is waiting for them, so quiet hours and the form they belong to do not hold them,
and in a chat they go one at a time in the order queued (models.services.outbox.claims).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from models.outbox import OutboxMessage, OutboxStatus
from models.outgoing import ChatAction
from models.services.outbox.queue import enqueue

REPLY = "reply"


def reply_key(bot_id: int, update_id: int, index: int) -> str:
    """The dedupe key of the `index`-th reply to one update."""
    return f"{REPLY}:{bot_id}:{update_id}:{index}"


def queue_replies(session: Session, replies: Sequence[tuple[str, ChatAction]], *, now: datetime) -> int:
    """Queue (dedupe key, message) replies in the order given; how many were new."""
    queued = 0
    for key, message in replies:  # one by one: ids ascend in reply order
        new = enqueue(session, message=message, purpose=REPLY, dedupe_key=key, now=now, urgent=True)
        queued += new is not None
    return queued


# Built once, on the table (see models.services.sql): every update asks it before its replies go out,
# and built per call it cost a tenth of the chat's database thread (BENCHMARKS.md, section 12).
_outbox = OutboxMessage.__table__
_WAITING = select(
    exists().where(
        _outbox.c.chat_id.in_(bindparam("chats", expanding=True)),
        _outbox.c.status.in_((OutboxStatus.pending, OutboxStatus.sending)),
        _outbox.c.purpose == REPLY,
    )
)


def replies_waiting(session: Session, chat_ids: Collection[int]) -> bool:
    """Whether any of these chats still has queued replies: a later reply must queue behind them."""
    if not chat_ids:
        return False
    return bool(session.scalar(_WAITING, {"chats": list(chat_ids)}))

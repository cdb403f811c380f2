"""The outgoing queue (transactional outbox): every message the bot sends on its own starts here."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Enum, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a sender; `locked_until` bounds the claim
    sent = "sent"
    dead = "dead"  # gave up: `last_error` says why


class OutboxMessage(Base):
    """One message to send. `payload` is a neutral action (kind + fields, see models.services.outbox.queue).

    `dedupe_key` makes enqueueing idempotent: a repeated sweep adds nothing. `message_id` keeps
    Telegram's id once sent, so a later row can edit that message (the morning list, ticked off).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(30), doc="reminder, alert, relay, digest, notice ...")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, doc="ignores quiet hours and open forms")
    status: Mapped[OutboxStatus] = mapped_column(Enum(OutboxStatus, native_enum=False, length=10))
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(40), doc="the sender holding the claim (lease)")

    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),  # the claim; dead rows' pruning
        # A chat's rows still to send, in order: the claim's "older row in this chat?" and "in flight?"
        # checks and the replies queued behind earlier ones read the chat's pending and sending rows
        # only, never its history of sent ones.
        Index("ix_outbox_chat", "chat_id", "status", "id"),
        Index("ix_outbox_sent", "status", "sent_at"),  # hygiene's recent sensitive rows; pruning
    )


class JobRun(Base):
    """A scheduled job's run for one key (e.g. the morning reminders of one day): done once."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(String(200))


class MorningMark(Base):
    """A worker's morning dealt with on a day (a message queued, or nothing to list): once a day.

    Its own table, keyed by day then worker, so that claiming the next workers of a morning reads
    only that day's marks, in worker order, beside the workers' own index (a merge), however many
    days of marks are kept; as `job_runs` rows (string keys of every day) each claim hashed them all.
    """

    __tablename__ = "morning_marks"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    worker_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SendPace(Base):
    """The next moment (Unix seconds, wall clock) a send may start: scope 0 for the bot, else a chat id.

    Shared by every sender process, so several processes together stay within Telegram's limits.
    """

    __tablename__ = "send_pace"

    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    next_at: Mapped[float] = mapped_column(Float)

"""What the bot keeps about chats: settings, the forms being filled in, and updates already handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class Chat(Base):
    """One private chat with the bot (chat id = the user's Telegram id)."""

    __tablename__ = "chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    locale: Mapped[str | None] = mapped_column(String(8))
    failed_codes: Mapped[int] = mapped_column(Integer, default=0)
    codes_blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    menu: Mapped[str | None] = mapped_column(String(30), doc="the command menu last set for this chat")
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False, doc="blocked the bot (403)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Conversation(Base):
    """A draft (草稿): a half-filled form of a chat, one per form and person (`subject`).

    A chat may keep several; the `active` one takes what the user types. Drafts survive restarts
    and transport switches; one left idle is announced before it expires (`warned_at`).
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("chat_id", "dialog", "subject", name="uq_conversations_draft"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    dialog: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(40), default="", doc="whom the form is about; '' if none yet")
    active: Mapped[bool] = mapped_column(Boolean, default=True, doc="at most one per chat")
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="the answers, by step name")
    # The dialog engine's own bookkeeping (handlers.dialogs.engine), apart from the answers:
    history: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default="[]", doc="the steps answered, in order: where « goes back to"
    )
    offered: Mapped[list[Any]] = mapped_column(
        JSON, default=list, server_default="[]", doc="the current step's choices as shown, by button index"
    )
    run_id: Mapped[str | None] = mapped_column(String(24), doc="this run of the form: saving is keyed by it")
    revisit: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), doc="the step was opened from the confirm screen"
    )
    nonce: Mapped[int] = mapped_column(Integer, doc="changes per dialog, so old buttons are told stale")
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="when its expiry was announced")
    warning_id: Mapped[int | None] = mapped_column(BigInteger, doc="the outbox row announcing it")


class ProcessedUpdate(Base):
    """Telegram update ids already handled (Telegram redelivers); pruned after a few days."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

"""How a use case tells someone: the small door services speak through (the runtime implements it).

A service decides what happened and whom to tell; it queues each message with `Notifier.notify`,
naming a template and the view it needs, and a dedupe key built in the service (one place per
kind of message). The runtime (handlers.context.Work, for an update or a job) renders the
template in the recipient's language and puts it in the outbox in the same unit of work, so a
message goes only if the change commits, and once per key. Tests pass a recording fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from models.outgoing import MediaKind

LabelledButtons = Sequence[Sequence[tuple[str, str]]]  # rows of (label key, button data)


class Notifier(Protocol):
    """Queue a templated message for someone, once per dedupe key; keep the morning lists current."""

    def notify(
        self,
        chat_id: int,
        template: str,
        *,
        purpose: str,
        dedupe_key: str,
        buttons: LabelledButtons = (),
        urgent: bool = False,
        available_at: datetime | None = None,
        media: tuple[MediaKind, str] | None = None,
        **view: Any,
    ) -> int | None:
        """The outbox id, or None if this key was queued before (nothing new is queued then)."""
        ...

    def tick_off(self, person_id: int) -> int:
        """A record about this person was filed: bring the morning list that names them up to date
        (1 if an edit was queued). The list is a rendered page, so the runtime redraws it."""
        ...

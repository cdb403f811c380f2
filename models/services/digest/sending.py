"""每日汇总 sent: each supervisor gets a digest once per period, under keys naming them and the day.

A digest is a chart and pages of text with drill-down buttons, drawn in the recipient's language
by the runtime (`DigestPoster.post_digest`, implemented by handlers.context.Work): this module
decides who gets which digest and when it counts as sent, the runtime how it looks.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from models.services.digest.scope import Recipient, queued
from models.services.digest.summary import Digest


class DigestPoster(Protocol):
    def post_digest(self, chat_id: int, digest: Digest, *, dedupe_key: str) -> None:
        """Queue the digest (chart, then its texts) under this key and keys derived from it."""
        ...


def digest_key(recipient: Recipient, digest: Digest) -> str:
    """The key of a supervisor's digest of a period (its chart and further pages derive from it)."""
    return f"digest:{recipient.worker_id}:{digest.period.kind}:{digest.period.end.isoformat()}"


def queue_digest(session: Session, poster: DigestPoster, recipient: Recipient, digest: Digest) -> bool:
    """Queue one supervisor's digest; False if queued before, so a second run of the job (a restart,
    a manual `gridcare digest --send`) queues nothing new."""
    key = digest_key(recipient, digest)
    if queued(session, key):
        return False
    poster.post_digest(recipient.chat_id, digest, dedupe_key=key)
    return True

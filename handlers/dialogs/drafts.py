"""Drafts (草稿) in time: the job that announces an idle draft's expiry before it comes, with a
button to go on, and forgets it once the user was told (models.services.conversations.drop_expired)."""

from __future__ import annotations

from handlers.context import JobCtx
from handlers.dialogs.engine import resume_data
from models.services.conversations import (
    WARN_BEFORE,
    drafts_to_warn,
    drop_expired,
    mark_warned,
)

EXPIRING = "draft_expiring"


def expire_drafts(jctx: JobCtx) -> int:
    """Tell each user whose draft will expire soon (once per idle spell), with a button to go on;
    forget the drafts whose announced expiry came. The count of notices queued and drafts gone."""
    due = jctx.call(drafts_to_warn, now=jctx.now)
    warned = []
    for draft in due:
        # Closed no sooner than WARN_BEFORE after the notice arrives (see drop_expired).
        closes_at = max(draft.expires_at, jctx.now + WARN_BEFORE)
        outbox_id = jctx.notify(
            draft.chat_id,
            "dialog/draft_expiring",
            purpose=EXPIRING,
            dedupe_key=f"{EXPIRING}:{draft.id}:{draft.updated_at.isoformat()}",
            buttons=[[("dr_btn_resume", resume_data(draft.nonce))]],
            draft=draft,
            closes_at=closes_at,
        )
        warned.append((draft.id, outbox_id))
    jctx.call(mark_warned, warned, now=jctx.now)
    return len(due) + jctx.call(drop_expired, now=jctx.now)

"""Chat hygiene (issue 8): `/forget` clears the bot's messages in my chat; sensitive alerts delete
themselves after the configured hours (the scheduled job `sensitive_delete`).

`/forget` keeps no record of what the bot sent: in a private chat Telegram numbers the messages
of both sides in one sequence, so the bot asks to delete every id below the command's own, back
`FORGET_SPAN` ids, 100 a call. Telegram silently skips what it cannot delete (messages older than
48 h, ids that do not exist). The confirmation comes after the deletions, so it stays.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Ctx, JobCtx
from handlers.dialogs.engine import Engine
from handlers.events import DeleteMessages
from handlers.router import Router
from models.access import Action
from models.audit import audit
from models.services.hygiene import queue_deletions

FORGET_SPAN = 1000  # how far back /forget reaches, in message ids
DELETE_BATCH = 100  # Telegram's limit of ids per deleteMessages call


def forget_batches(message_id: int, span: int = FORGET_SPAN) -> list[tuple[int, ...]]:
    """The ids below `message_id` back to max(1, message_id - span), newest batch first, ≤100 each."""
    ids = range(message_id - 1, max(1, message_id - span) - 1, -1)
    return [tuple(sorted(ids[i : i + DELETE_BATCH])) for i in range(0, len(ids), DELETE_BATCH)]


def cmd_forget(ctx: Ctx, arg: str) -> None:
    """清理聊天: delete the bot's recent messages in my own chat; audited (how many ids, no content)."""
    batches = forget_batches(ctx.incoming.message_id or 1)
    for batch in batches:
        ctx.send(DeleteMessages(ctx.chat_id, batch))
    span = sum(len(batch) for batch in batches)
    ctx.call(audit, ctx.identity.actor, "forget", "chat", None, at=ctx.now, detail=f"ids asked: {span}")
    ctx.reply("hygiene/forgotten")


def delete_sensitive(jctx: JobCtx) -> int:
    """Queue the deletion of sensitive messages sent longer ago than the policy's hours (0: off)."""
    hours = jctx.policy.sensitive_delete_hours
    if hours <= 0:
        return 0
    return jctx.call(queue_deletions, now=jctx.now, after=timedelta(hours=hours))


def register(router: Router, engine: Engine) -> None:
    """/forget for everyone linked: staff and family members alike."""
    router.command("/forget", Action.forget, cmd_forget)

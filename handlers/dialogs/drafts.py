"""Drafts (草稿): how the dialog engine keeps them and brings them back, and in time.

A chat keeps one draft per form and `subject_of` (the person). Before another draft becomes
active the open one is set aside, the user told how to come back to it; after a form is saved or
cancelled the drafts still kept are offered again; each comes back with `resume_data`. The job
announces an idle draft's expiry before it comes, with a button to go on, and forgets it once the
user was told (models.services.conversations.drop_expired).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.context import Ctx, JobCtx
from handlers.events import Button
from models.access import Action, scope_of
from models.callback_data import parse_id
from models.services.caseload import person_line
from models.services.conversations import (
    DialogState,
    DraftLine,
    drop_draft,
    list_drafts,
    load_dialog,
)
from models.services.conversations import expire_drafts as service_expire_drafts

PREFIX = "d"  # every dialog button: `d:<nonce>:<step>:<answer>`
RESUME = "r"  # the step of a draft's resume button: `d:<nonce>:r:go`
MAX_SHOWN = 5  # kept drafts offered as buttons after a form is saved or cancelled


def subject_of(data: dict[str, Any]) -> str:
    """Whom a form is about, as its draft is keyed: the person (a correction: and its record)."""
    person = str(data.get("person") or "")
    return f"{person}:c{data['_corrects']}" if person and data.get("_corrects") else person


def resume_data(nonce: int) -> str:
    """The button data that brings a draft back (from /today, a notice or the expiry warning)."""
    return f"{PREFIX}:{nonce}:{RESUME}:go"


def draft_buttons(ctx: Ctx, drafts: Sequence[DraftLine]) -> tuple[tuple[Button, ...], ...]:
    """One row per draft: its form and person; pressing it resumes the draft."""
    return tuple((Button(ctx.text("dialog/draft_button", draft=d), resume_data(d.nonce)),) for d in drafts)


def person_code(ctx: Ctx, data: dict[str, Any]) -> str | None:
    """The code of the person a draft is about, to name the draft by."""
    person_id = parse_id(str(data.get("person") or ""))
    line = ctx.call(person_line, person_id) if person_id is not None else None
    return line.code if line else None


def set_aside(ctx: Ctx, keep: DialogState | None) -> None:
    """Before another draft (or `keep`) becomes active: the active one is kept, and the user told
    how to come back to it, if anything was answered in it; if nothing was, it simply goes."""
    active = ctx.call(load_dialog, ctx.chat_id)
    if active is None or (keep is not None and active.id == keep.id):
        return
    if not active.history:
        ctx.call(drop_draft, active.id)
        return
    ctx.reply(
        "dialog/draft_kept",
        ((ctx.button("dr_btn_resume", resume_data(active.nonce)),),),
        dialog=active.dialog,
        code=person_code(ctx, active.data),
        today=scope_of(ctx.identity.principal, Action.view_today) is not None,
    )


def tell_kept(ctx: Ctx) -> None:
    """After a form is saved or cancelled: the drafts still kept, each a button away."""
    kept = [d for d in ctx.call(list_drafts, ctx.chat_id) if not d.active]
    if kept:
        ctx.reply("dialog/drafts_left", draft_buttons(ctx, kept[:MAX_SHOWN]), count=len(kept))


def expire_drafts(jctx: JobCtx) -> int:
    """The drafts job: expiry notices with a resume button, expired drafts forgotten
    (models.services.conversations.expire_drafts)."""
    return jctx.call(service_expire_drafts, jctx, now=jctx.now, resume=resume_data)

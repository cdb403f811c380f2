"""Report review (报表审核): a supervisor goes through the reports awaiting review in their subtree.

`/review` (or the digest's "awaiting review" button, `rq:<area id>:<after record id>`) shows the
oldest report waiting; `rv:<record id>:ok:<area id>` marks it correct at once, and
`rv:<record id>:no:<area id>` opens a one-question form for the comment on what is wrong. The
author is told either way, with the record id, and corrects it through the reporting forms.
"""

from __future__ import annotations

from typing import Any

from handlers.callbacks import CardOpen, ReviewNext, VerdictGiven
from handlers.context import Ctx
from handlers.dialogs.common import free_text
from handlers.dialogs.engine import Dialog, Step
from handlers.events import Button
from models.casework import ReviewVerdict
from models.services.digest.scope import AreaRef, area_in_scope
from models.services.review.marking import COMMENT_MAX, ReportView, Reviewed, may_review, next_awaiting
from models.services.review.notices import give_verdict

REVIEW_DIALOG = "review"


def value_label(ctx: Ctx, value: str | None) -> str | None:
    """A stored value (visit kind, sample, result …) in the caller's language, if a label exists."""
    if value is None:
        return None
    try:
        return ctx.label(f"sv_val_{value}")
    except KeyError:
        return value


def cmd_review(ctx: Ctx, _arg: str) -> None:
    """/review: the oldest report awaiting review in the caller's subtree."""
    area = ctx.call(area_in_scope, ctx.identity, now=ctx.now, action="review_record")
    if area is None:
        ctx.reply("errors/not_allowed")
        return
    show_next(ctx, area, after=0, edit_message=None)


def on_queue(ctx: Ctx, data: ReviewNext) -> None:
    """`rq:<area id>:<after id>`: the next report awaiting review in that area, if it is the caller's."""
    after = data.after
    area = ctx.call(area_in_scope, ctx.identity, now=ctx.now, area_id=data.area_id, action="review_record")
    if area is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    show_next(ctx, area, after=after, edit_message=ctx.incoming.message_id if after else None)


def show_next(ctx: Ctx, area: AreaRef, *, after: int, edit_message: int | None) -> None:
    report: ReportView | None = ctx.call(next_awaiting, ctx.identity, area.path, after_id=after, now=ctx.now)
    if report is None:
        _say(ctx, edit_message, "supervisor/review_none", (), area=area)
        return
    buttons = (
        (
            ctx.button("sv_correct", VerdictGiven(report.id, "ok", area.id).pack()),
            ctx.button("sv_has_errors", VerdictGiven(report.id, "no", area.id).pack()),
        ),
        (
            ctx.button("sv_card_button", CardOpen(report.person_id).pack(), code=report.person_code),
            ctx.button("sv_next", ReviewNext(area.id, report.id).pack()),
        ),
    )
    view = {
        "r": report,
        "kind": ctx.label(f"sv_kind_{report.kind}"),
        "subkind": value_label(ctx, report.subkind),
        "result": value_label(ctx, report.result),
    }
    _say(ctx, edit_message, "supervisor/review_item", buttons, **view)


def _say(ctx: Ctx, message_id: int | None, template: str, buttons: Any, **view: Any) -> None:
    if message_id is not None:
        ctx.edit(message_id, template, buttons, **view)
    else:
        ctx.reply(template, buttons, **view)


def _saved(ctx: Ctx, reviewed: Reviewed, area_id: int | None, message_id: int | None) -> None:
    buttons = (
        ((Button(ctx.label("sv_next"), ReviewNext(area_id, reviewed.record_id).pack()),),) if area_id else ()
    )
    _say(ctx, message_id, "supervisor/review_saved", buttons, review=reviewed)


def finish_review(ctx: Ctx, data: dict[str, Any], key: str) -> None:
    """The "has errors" verdict with its comment: saved, and the author told."""
    reviewed = ctx.call(
        give_verdict,
        ctx,
        ctx.identity,
        int(data["record"]),
        ReviewVerdict.has_errors,
        data["comment"],
        now=ctx.now,
    )
    if reviewed is None:
        ctx.reply("errors/not_allowed")
        return
    _saved(ctx, reviewed, data.get("area"), None)


REVIEW = Dialog(
    name=REVIEW_DIALOG,
    steps=(Step("comment", "supervisor/review_comment", parse=free_text(COMMENT_MAX)),),
    summary="supervisor/review_summary",
    finish=finish_review,
    authorize=lambda ctx, data: ctx.call(may_review, ctx.identity, int(data["record"]), now=ctx.now),
)


def on_verdict(ctx: Ctx, data: VerdictGiven) -> None:
    """`rv:<record id>:ok|no:<area id>`: the service re-checks the record is in the caller's subtree;
    "has errors" opens the review form for the comment."""
    record_id, area_id = data.record_id, data.area_id
    if data.verdict == "no":
        # Checked now, before asking for a comment, and again when saving.
        if not ctx.call(may_review, ctx.identity, record_id, now=ctx.now):
            ctx.answer("errors/not_allowed", alert=True)
            return
        ctx.answer()
        ctx.dialogs.start(ctx, REVIEW_DIALOG, {"record": record_id, "area": area_id})
        return
    reviewed = ctx.call(give_verdict, ctx, ctx.identity, record_id, ReviewVerdict.correct, None, now=ctx.now)
    if reviewed is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer("supervisor/review_toast")
    _saved(ctx, reviewed, area_id, ctx.incoming.message_id)

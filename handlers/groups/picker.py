"""The group session's picker (issue 14.5): the caseload as tick buttons, a page at a time.

The selection travels in the buttons themselves (`GroupPickV1`: one bit per person of the caseload
as listed, with a fingerprint of that list), so ticking writes nothing; every press re-reads the
caller's own caseload, and a selection made on another list (the caseload changed since, or the
data was forged) is refused as stale and the refusal audited. « Next » opens the `group` form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from handlers.callbacks import CallbackData
from handlers.context import Ctx
from handlers.events import Button, Keyboard
from handlers.groups.form import DIALOG
from models.audit import audit
from models.services.caseload import PersonLine, caseload
from models.services.conversations import drop_draft, find_draft
from models.services.reporting.group_sessions import MAX_PEOPLE, fingerprint, pack_selection, unpack_selection

PICK_PAGE = 7  # people per page: with « all », « next », two page buttons and cancel, 12 buttons


@dataclass(frozen=True)
class GroupPickV1(CallbackData, prefix="gp"):
    """A press in the picker: `gp:<op>:<list fingerprint>:<page>:<selection hex>`.

    op: `t<n>` ticks or unticks the n-th person, `a` ticks all, `n` none, `p` shows `page`,
    `go` goes on to the form, `x` cancels.
    """

    op: Annotated[str, r"t[0-9]{1,3}|a|n|p|go|x"]
    fingerprint: Annotated[str, r"[0-9a-f]{6}"]
    page: Annotated[int, 2]
    selection: Annotated[str, r"[0-9a-f]{1,45}"]


# -- the picker -------------------------------------------------------------------------------------


def _people(ctx: Ctx) -> list[PersonLine]:
    """The caller's caseload as the picker lists it (audited as a list, like /my)."""
    return ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today)[:MAX_PEOPLE]


def _picker(
    ctx: Ctx, people: Sequence[PersonLine], chosen: list[bool], page: int
) -> tuple[dict[str, Any], Keyboard]:
    pages = max(1, -(-len(people) // PICK_PAGE))
    page = min(max(page, 0), pages - 1)
    fp, bits = fingerprint([p.id for p in people]), pack_selection(chosen)

    def data(op: str, to_page: int = page) -> str:
        return GroupPickV1(op, fp, to_page, bits).pack()

    first = page * PICK_PAGE
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                ctx.plain("groups/person_button", line=line, ticked=chosen[first + n]), data(f"t{first + n}")
            ),
        )
        for n, line in enumerate(people[first : first + PICK_PAGE])
    ]
    count = sum(chosen)
    everyone = count == len(people)
    rows.append(
        (
            ctx.button(
                "gs_btn_none" if everyone else "gs_btn_all", data("n" if everyone else "a"), total=len(people)
            ),
            ctx.button("gs_btn_go", data("go"), count=count),
        )
    )
    nav = []
    if page > 0:
        nav.append(ctx.button("rp_btn_prev", data("p", page - 1)))
    if page + 1 < pages:
        nav.append(ctx.button("rp_btn_next", data("p", page + 1)))
    if nav:
        rows.append(tuple(nav))
    rows.append((ctx.button("cancel", data("x")),))
    view = {"count": count, "total": len(people), "page": page, "pages": pages}
    return view, tuple(rows)


def cmd_group(ctx: Ctx, arg: str) -> None:
    """集中教育: choose several people of my caseload, then one form for all of them."""
    people = _people(ctx) if ctx.identity.worker_id is not None else []
    if not people:
        ctx.reply("groups/empty")
        return
    view, keyboard = _picker(ctx, people, [False] * len(people), 0)
    ctx.reply("groups/pick", keyboard, **view)


def on_pick(ctx: Ctx, press: GroupPickV1 | None) -> None:
    """`gp:...`: tick, untick, page, or go on (None: data that did not parse); the caseload re-read
    and the selection checked."""
    people = _people(ctx) if press is not None and ctx.identity.worker_id is not None else []
    chosen = unpack_selection(press.selection, len(people)) if press is not None else None
    if press is None or chosen is None or press.fingerprint != fingerprint([p.id for p in people]):
        # Made on another list: the caseload changed since, or the data is not this caller's.
        ctx.call(audit, ctx.identity.actor, "refused", "group", None, at=ctx.now, detail="stale selection")
        ctx.answer("dialog/stale")
        return
    page, message_id = press.page, ctx.incoming.message_id
    if press.op == "x":
        ctx.answer()
        _show(ctx, message_id, "dialog/cancelled")
        return
    if press.op == "go":
        picked = [str(p.id) for p, on in zip(people, chosen, strict=True) if on]
        if not picked:
            ctx.answer("groups/none_chosen", alert=True)
            return
        ctx.answer()
        _start_form(ctx, picked, message_id)
        return
    if press.op == "a":
        chosen = [True] * len(people)
    elif press.op == "n":
        chosen = [False] * len(people)
    elif press.op.startswith("t"):
        n = int(press.op[1:])
        if n >= len(people):
            ctx.answer("dialog/stale")
            return
        chosen[n] = not chosen[n]
        page = n // PICK_PAGE
    ctx.answer()
    view, keyboard = _picker(ctx, people, chosen, page)
    if message_id is None:
        ctx.reply("groups/pick", keyboard, **view)
    else:
        ctx.edit(message_id, "groups/pick", keyboard, **view)


def _show(ctx: Ctx, message_id: int | None, template: str) -> None:
    if message_id is None:
        ctx.reply(template)
    else:
        ctx.edit(message_id, template)


def _start_form(ctx: Ctx, picked: list[str], message_id: int | None) -> None:
    """The form for these people. A group draft left open is replaced (the user is told): the new
    selection is what they just confirmed, and a group draft holds little more than it."""
    old = ctx.call(find_draft, ctx.chat_id, DIALOG, "")
    if old is not None:
        ctx.call(drop_draft, old.id)
        if old.history:
            ctx.reply("groups/replaced")
    ctx.dialogs.start(ctx, DIALOG, {"people": picked}, edit_message=message_id)

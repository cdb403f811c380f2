"""What a worker does outside forms: the caseload (/my), paged and searchable.

`/my` lists the people in my care (and delegated to me), most urgent first, each a button to
the card; `/my 张`, `/my zs` (pinyin initials) or `/my P-00` searches, and so does typing a name
outside a form. Supervisors have no caseload: `/my <name or code>` searches their jurisdiction.
"""

from __future__ import annotations

from handlers.callbacks import DATA_LIMIT, CardOpen, CaseloadMore
from handlers.context import Ctx
from handlers.dialogs.common import SEARCH_MAX, clean
from handlers.dialogs.engine import Engine
from handlers.events import Button
from handlers.router import Router
from models.access import STAFF, Action
from models.services.caseload import CaseloadPage, caseload_page


def page_data(page: int, search: str | None) -> str:
    """`my:<page>:<search>`, the search cut (by characters) to fit Telegram's 64 bytes."""
    search = search or ""
    while len(f"{CaseloadMore.PREFIX}:{page}:{search}".encode()) > DATA_LIMIT:
        search = search[:-1]
    return CaseloadMore(page, search).pack()


def caseload_buttons(ctx: Ctx, view: CaseloadPage) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = [
        (Button(ctx.plain("worker/person_button", line=line), CardOpen(line.id).pack()),)
        for line in view.lines
    ]
    nav = []
    if view.page > 0:
        nav.append(ctx.button("rp_btn_prev", page_data(view.page - 1, view.search)))
    if view.page + 1 < view.pages:
        nav.append(ctx.button("rp_btn_next", page_data(view.page + 1, view.search)))
    if nav:
        rows.append(tuple(nav))
    return tuple(rows)


def _page(ctx: Ctx, search: str | None, page: int) -> CaseloadPage:
    return ctx.call(
        caseload_page,
        ctx.identity,
        now=ctx.now,
        today=ctx.today,
        policy=ctx.policy,
        search=search or None,
        page=page,
    )


def cmd_my(ctx: Ctx, arg: str) -> None:
    """我的对象: the people in my care, most urgent first; with a term, a search."""
    search = clean(arg)[:SEARCH_MAX] or None
    view = _page(ctx, search, 0)
    ctx.reply("worker/caseload", caseload_buttons(ctx, view), view=view)


def on_page(ctx: Ctx, data: CaseloadMore) -> None:
    """`my:<page>:<search>`: another page of the same list, edited in place."""
    view = _page(ctx, clean(data.search)[:SEARCH_MAX] or None, data.page)
    ctx.answer()
    if ctx.incoming.message_id is None:
        ctx.reply("worker/caseload", caseload_buttons(ctx, view), view=view)
    else:
        ctx.edit(ctx.incoming.message_id, "worker/caseload", caseload_buttons(ctx, view), view=view)


def on_text(ctx: Ctx, text: str) -> None:
    """Text typed outside a form by staff: a search of the caseload by name, initials or code."""
    if not clean(text):
        ctx.reply("errors/free_text_hint")
        return
    cmd_my(ctx, text)


def register(router: Router, engine: Engine) -> None:
    """A worker's commands outside the report forms."""
    router.command("/my", Action.view_caseload, cmd_my)
    router.button(CaseloadMore, Action.view_caseload, on_page)
    for principal in STAFF:
        router.free_text(principal, on_text)

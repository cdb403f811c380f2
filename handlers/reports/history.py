"""A person's records, newest first, paged (`/history <code or name>`, buttons `h:<id>:<page>`).

`/history` alone offers the caller's caseload as buttons (`h:<id>:0`), checked when pressed.

Voided and corrected records stay in the list, marked, so the history is complete. Every page
is an audited read, checked against the caller's rights like the card.
"""

from __future__ import annotations

from handlers.callbacks import CardOpen, HistoryOpen
from handlers.context import Ctx
from handlers.dialogs.common import SEARCH_MAX, clean
from handlers.events import Button
from models.access import Action
from models.services.cards import HistoryPage, find_person, person_history
from models.services.caseload import caseload

PICKER_SHOWN = 30  # people offered by `/history` alone; the rest are found by typing


def history_buttons(ctx: Ctx, page: HistoryPage) -> tuple[tuple[Button, ...], ...]:
    person_id = page.person.id
    nav = []
    if page.page > 0:
        nav.append(ctx.button("rp_btn_prev", HistoryOpen(person_id, page.page - 1, "e").pack()))
    if page.page + 1 < page.pages:
        nav.append(ctx.button("rp_btn_next", HistoryOpen(person_id, page.page + 1, "e").pack()))
    rows = [tuple(nav)] if nav else []
    rows.append((ctx.button("rp_btn_card", CardOpen(person_id).pack()),))
    return tuple(rows)


def _person_for(ctx: Ctx, term: str) -> int | None:
    """One person of the caseload by name, initials or code; else anyone the caller may see, by code."""
    found = ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today, search=term)
    if len(found) == 1:
        return found[0].id
    return ctx.call(find_person, ctx.identity, term, Action.view_card, now=ctx.now, today=ctx.today)


def cmd_history(ctx: Ctx, arg: str) -> None:
    """/history <code or name>: the last records of a person."""
    term = clean(arg)[:SEARCH_MAX]
    if not term:
        _offer_people(ctx)
        return
    person_id = _person_for(ctx, term)
    page = None
    if person_id is not None:
        page = ctx.call(person_history, ctx.identity, person_id, now=ctx.now, today=ctx.today)
    if page is None:
        ctx.reply("reports/not_found")
        return
    ctx.reply("reports/history", history_buttons(ctx, page), page=page)


def _offer_people(ctx: Ctx) -> None:
    """The usage text, with a button per person of the caller's caseload (a real code as example)."""
    people = ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today)
    shown = people[:PICKER_SHOWN]
    buttons = [Button(f"{p.code} {p.name}", HistoryOpen(p.id, 0).pack()) for p in shown]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    example = shown[0].code if shown else None
    ctx.reply("reports/history_usage", rows, example=example, hidden=len(people) - len(shown))


def on_history(ctx: Ctx, data: HistoryOpen) -> None:
    """`h:<person id>:<page>[:e]`: a page of the history; `e` edits the message in place."""
    page = ctx.call(
        person_history, ctx.identity, data.person_id, now=ctx.now, today=ctx.today, page=data.page
    )
    if page is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    buttons = history_buttons(ctx, page)
    if data.edit and ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "reports/history", buttons, page=page)
    else:
        ctx.reply("reports/history", buttons, page=page)

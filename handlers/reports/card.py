"""The person card (对象档案, button `p:<person id>`) and starting a report from it (`r:<kind>:<id>`).

Both re-check the caller's rights on every press: a button forged or left in the chat after a
reassignment is refused (and the refusal audited) without saying whether the person exists.
"""

from __future__ import annotations

from handlers.callbacks import (
    CardOpen,
    CaseChangeStart,
    FamilyInvite,
    FamilyThread,
    HistoryOpen,
    ReportStart,
    SlotsShow,
)
from handlers.context import Ctx
from handlers.events import Button
from models.access import Action, may_file, scope_of
from models.people import CLOSED_STATUSES
from models.services.appointments.booking import next_appointment
from models.services.cards import PersonCard, person_card
from models.services.caseload import person_line
from models.services.casework.timeline import timeline
from models.services.rights import may

# The report kinds a card offers, in button order: (button key = RecordKind value, dialog name).
REPORTS = (
    ("visit", "visit"),
    ("drug_test", "drug_test"),
    ("education", "education"),
    ("thought_report", "thought_report"),
    ("assessment", "assessment"),
    ("help", "help_given"),
    ("counselling", "counselling"),
    ("registration", "registration"),
    ("note", "note"),
)
DIALOG_OF = dict(REPORTS)
ROUTINE_VISIT = "routine"  # `r:routine:<id>`: the visit form with "routine" already chosen


def _owes_registration(card: PersonCard) -> bool:
    """报到 is offered while it is owed (after a release) or was never recorded."""
    due = any(d.obligation == "registration" and d.state != "done" for d in card.due)
    return due or card.registered_on is None


def card_buttons(ctx: Ctx, card: PersonCard) -> tuple[tuple[Button, ...], ...]:
    principal = ctx.identity.principal
    buttons = []
    rows: list[tuple[Button, ...]] = []
    if scope_of(principal, Action.write_record) is not None and card.status not in CLOSED_STATUSES:
        # The weekly visit is the most frequent report: one tap here, then note, photo, save.
        if may_file(principal, "visit"):
            rows.append((ctx.button("rp_btn_routine_visit", ReportStart(ROUTINE_VISIT, card.id).pack()),))
        # Each member of the care team sees the forms of their own part (models.access.FORMS).
        buttons = [
            ctx.button(f"rp_btn_{kind}", ReportStart(kind, card.id).pack())
            for kind, _ in REPORTS
            if may_file(principal, kind) and (kind != "registration" or _owes_registration(card))
        ]
    buttons.append(ctx.button("rp_btn_history", HistoryOpen(card.id, 0).pack()))
    closed = card.status in CLOSED_STATUSES
    if scope_of(principal, Action.book_appointment) is not None and not closed:
        buttons.append(
            ctx.button("card_appointment", SlotsShow(card.id).pack())
        )  # 约见: handlers.appointments
    if scope_of(principal, Action.propose_case_change) is not None and not closed:
        buttons.append(
            ctx.button("card_case_change", CaseChangeStart(card.id).pack())
        )  # 状态变更: handlers.casework
    rows += [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    family = []
    if scope_of(principal, Action.invite_family) is not None:
        family.append(ctx.button("card_invite_family", FamilyInvite(card.id).pack()))
    if scope_of(principal, Action.reply_family) is not None:
        family.append(ctx.button("card_family_thread", FamilyThread(card.id).pack()))
    if family:
        rows.append(tuple(family))
    return tuple(rows)


def show_card(ctx: Ctx, person_id: int) -> bool:
    """Send the card as a new message; False (refusal audited) if the caller may not see it."""
    card = ctx.call(
        person_card, ctx.identity, person_id, now=ctx.now, today=ctx.today, policy=ctx.policy, keys=ctx.keys
    )
    if card is None:
        return False
    appointment = ctx.call(next_appointment, person_id, now=ctx.now)
    events = ctx.call(timeline, person_id, tz=ctx.policy.tz)
    ctx.reply(
        "reports/card",
        card_buttons(ctx, card),
        card=card,
        today=ctx.today,
        appointment=appointment,
        timeline=events,
    )
    return True


def on_card(ctx: Ctx, data: CardOpen) -> None:
    """`p:<person id>`: open the card."""
    if not show_card(ctx, data.person_id):
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()


def start_report(ctx: Ctx, kind: str, person_id: int | None) -> bool:
    """Begin a report form, for this person if given (rights checked, refusal audited)."""
    if person_id is not None and not ctx.call(
        may, ctx.identity, Action.write_record, person_id, now=ctx.now, today=ctx.today
    ):
        return False
    # Then the form: each member of the care team files the forms of their part (saving checks again).
    if not may_file(ctx.identity.principal, "visit" if kind == ROUTINE_VISIT else kind):
        return False
    line = ctx.call(person_line, person_id) if person_id is not None else None
    if line is not None and line.status in CLOSED_STATUSES:  # the card stays; the file takes nothing new
        ctx.reply("reports/case_closed", status=str(line.status))
        return True
    data = {} if person_id is None else {"person": str(person_id)}
    if kind == ROUTINE_VISIT:
        kind, data = "visit", {**data, "kind": ROUTINE_VISIT}
    ctx.dialogs.start(ctx, DIALOG_OF[kind], data)
    return True


def on_report(ctx: Ctx, data: ReportStart) -> None:
    """`r:<kind>:<person id>`: start that report for that person."""
    if data.kind not in DIALOG_OF and data.kind != ROUTINE_VISIT:
        ctx.answer("dialog/stale")
        return
    if not start_report(ctx, data.kind, data.person_id):
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()

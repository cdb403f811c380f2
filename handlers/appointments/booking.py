"""Booking the week's meeting (约见) from the person card, in two taps: 📅, then a slot.

Buttons: `ap:<person>` shows the slots (the next days × a few times, local time); `as:<person>:
<YYYYMMDDHHMM>` books that slot (or moves the open appointment there); `apl:<appointment>` offers
the places and `apl:<appointment>:<place>` sets one; `apc:<appointment>` cancels. Every press is
checked again by the service (models.services.appointments.booking): a slot that is past or was never
offered is refused, and so is anyone but the booking worker over a person in their caseload.
"""

from __future__ import annotations

from datetime import datetime

from handlers.callbacks import AppointmentCancel, CardOpen, PlaceChoice, SlotBook, SlotsShow
from handlers.context import Ctx
from handlers.events import Button
from handlers.reminders.jobs import refresh_worker
from handlers.router import not_allowed
from models.access import Action
from models.services.appointments.booking import (
    STAMP,
    AppointmentView,
    Change,
    Place,
    book,
    cancel,
    change_place,
    own_appointment,
    slot_at,
    slots,
)
from models.services.caseload import person_line
from models.services.rights import may

SLOT_COLUMNS = 2


def slot_button(ctx: Ctx, person_id: int, moment: datetime) -> Button:
    """A slot labelled like 周五 12/4 14:30 (local time)."""
    return ctx.button(
        "ap_slot",
        SlotBook(person_id, moment.strftime(STAMP)).pack(),
        weekday=ctx.label(f"ap_wd_{moment.weekday()}"),
        month=moment.month,
        day=moment.day,
        time=moment.strftime("%H:%M"),
    )


def on_slots(ctx: Ctx, data: SlotsShow) -> None:
    """`ap:<person>`: the slot keyboard, as a new message (the card stays)."""
    person_id = data.person_id
    if not ctx.call(may, ctx.identity, Action.book_appointment, person_id, now=ctx.now, today=ctx.today):
        not_allowed(ctx)
        return
    offered = [slot_button(ctx, person_id, m) for m in slots(ctx.now, ctx.policy.tz)]
    rows = tuple(tuple(offered[i : i + SLOT_COLUMNS]) for i in range(0, len(offered), SLOT_COLUMNS))
    ctx.reply("appointments/choose_slot", rows, person=ctx.call(person_line, person_id))
    ctx.answer()


def saved_buttons(ctx: Ctx, appointment: AppointmentView) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            ctx.button("ap_btn_place", PlaceChoice(appointment.id).pack()),
            ctx.button("ap_btn_time", SlotsShow(appointment.person_id).pack()),
        ),
        (
            ctx.button("ap_btn_cancel", AppointmentCancel(appointment.id).pack()),
            ctx.button("rp_btn_card", CardOpen(appointment.person_id).pack()),
        ),
    )


def _show(ctx: Ctx, template: str, buttons: tuple[tuple[Button, ...], ...] = (), **view: object) -> None:
    """In place of the pressed message (the slot or place keyboard), else as a new one; and today's
    morning list brought up to date, in case the meeting is (or was) today."""
    if ctx.identity.worker_id is not None:
        refresh_worker(ctx, ctx.identity.worker_id)
    if ctx.incoming.message_id is None:
        ctx.reply(template, buttons, **view)
    else:
        ctx.edit(ctx.incoming.message_id, template, buttons, **view)


def on_slot(ctx: Ctx, data: SlotBook) -> None:
    """`as:<person>:<stamp>`: book (or move to) that slot."""
    person_id = data.person_id
    moment = slot_at(data.stamp, ctx.now, ctx.policy.tz)
    if moment is None:  # past by now, or never offered: show the slots as they are now
        ctx.answer("appointments/slot_gone", alert=True)
        return
    booked = ctx.call(book, ctx.identity, person_id, moment, now=ctx.now, today=ctx.today)
    if booked is None:
        not_allowed(ctx)
        return
    _show(
        ctx,
        "appointments/booked",
        saved_buttons(ctx, booked.appointment),
        a=booked.appointment,
        moved=booked.moved,
    )
    ctx.answer()


def on_place(ctx: Ctx, data: PlaceChoice) -> None:
    """`apl:<appointment>`: the places; `apl:<appointment>:<place>`: set it."""
    appointment_id = data.appointment_id
    if data.place is None:
        if ctx.call(own_appointment, ctx.identity, appointment_id, now=ctx.now, today=ctx.today) is None:
            not_allowed(ctx)
            return
        rows = tuple((ctx.button(f"ap_place_{p}", PlaceChoice(appointment_id, p).pack()),) for p in Place)
        _show(ctx, "appointments/choose_place", rows)
        ctx.answer()
        return
    changed = ctx.call(change_place, ctx.identity, appointment_id, data.place, now=ctx.now, today=ctx.today)
    _after_change(ctx, changed)


def on_cancel(ctx: Ctx, data: AppointmentCancel) -> None:
    """`apc:<appointment>`: cancel it (kept, marked cancelled)."""
    changed = ctx.call(cancel, ctx.identity, data.appointment_id, now=ctx.now, today=ctx.today)
    if changed is not None and changed[0] is Change.done and changed[1].cancelled:
        _show(
            ctx,
            "appointments/cancelled",
            ((ctx.button("rp_btn_card", CardOpen(changed[1].person_id).pack()),),),
            a=changed[1],
        )
        ctx.answer()
        return
    _after_change(ctx, changed)


def _after_change(ctx: Ctx, changed: tuple[Change, AppointmentView] | None) -> None:
    if changed is None:
        not_allowed(ctx)
        return
    change, appointment = changed
    if change is Change.gone:
        ctx.answer("appointments/gone", alert=True)
        return
    _show(ctx, "appointments/booked", saved_buttons(ctx, appointment), a=appointment, moved=False)
    ctx.answer()

"""Appointments (约见, issue 14 §4): booking the week's meeting from the card, and families' reminders."""

from __future__ import annotations

from handlers.appointments.booking import on_cancel, on_place, on_slot, on_slots
from handlers.appointments.family import cmd_meetings, on_toggle
from handlers.callbacks import AppointmentCancel, FamilyRemindersToggle, PlaceChoice, SlotBook, SlotsShow
from handlers.dialogs.engine import Engine
from handlers.router import Router, not_allowed
from models.access import Action


def register(router: Router, _engine: Engine) -> None:
    """The booking buttons (workers) and the reminder choice (families)."""
    router.button(SlotsShow, Action.book_appointment, on_slots, junk=not_allowed)
    router.button(SlotBook, Action.book_appointment, on_slot, junk=not_allowed)
    router.button(PlaceChoice, Action.book_appointment, on_place, junk=not_allowed)
    router.button(AppointmentCancel, Action.book_appointment, on_cancel, junk=not_allowed)
    router.command("/meetings", Action.family_reminders, cmd_meetings)
    router.button(FamilyRemindersToggle, Action.family_reminders, on_toggle, junk=not_allowed)

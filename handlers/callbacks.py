"""Every button kind but the forms' own (`d:`, handlers.dialogs): its prefix and typed fields.

Each class both builds its button data (`CardOpen(12).pack()` → `p:12`) and reads it back
(`CardOpen.parse("12")`, done by the router, which hands the handler the parsed object); data that
does not parse is answered as stale before any handler runs. The strings are those the bot always
sent, so buttons under messages already in chats keep working. See models.callback_data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from models.buttons import (
    AlertAck,
    AlertCalled,
    CardOpen,
    CaseDecision,
    ColourDecision,
    FamilyThread,
    FamilyUrgent,
    RecordChange,
    ReplyToFamily,
    TipTakeUp,
    TransferDecision,
)
from models.callback_data import DATA_LIMIT, CallbackData
from models.services.appointments.booking import Place
from models.services.reminders.morning import WhyOpen

__all__ = [
    "DATA_LIMIT",
    "AlertAck",
    "AlertCalled",
    "CallbackData",
    "CardOpen",
    "CaseDecision",
    "ColourDecision",
    "FamilyThread",
    "FamilyUrgent",
    "RecordChange",
    "ReplyToFamily",
    "TipTakeUp",
    "TransferDecision",
    "WhyOpen",
]

Token = Annotated[str, r"[a-z_]{1,24}"]  # a form or report kind, checked against its table by the handler


# -- reports (handlers.reports) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportStart(CallbackData, prefix="r"):
    """`r:<kind>:<person>`: start that report (`routine`: the visit form, routine already chosen)."""

    kind: Token
    person_id: int


@dataclass(frozen=True)
class HistoryOpen(CallbackData, prefix="h"):
    """`h:<person>:<page>[:e]`: a page of the history; `e` edits the message in place."""

    person_id: int
    page: Annotated[int, 6]
    edit: Literal["e"] | None = None


@dataclass(frozen=True)
class DelegationEnd(CallbackData, prefix="de"):
    delegation_id: int


# -- the worker's lists (handlers.worker, handlers.reminders.commands, handlers.reminders.pause) -------------


@dataclass(frozen=True)
class CaseloadMore(CallbackData, prefix="my"):
    """`my:<page>:<search>`: the search as typed (cleaned again when read), possibly empty."""

    page: Annotated[int, 6]
    search: Annotated[str, r"(?s).*"]


@dataclass(frozen=True)
class TodayPage(CallbackData, prefix="td"):
    page: Annotated[int, 4]


@dataclass(frozen=True)
class ReminderTime(CallbackData, prefix="rt"):
    """`rt:<HHMM>` or `rt:default` (only the offered times are taken, by the handler)."""

    time: Annotated[str, r"[0-9]{4}|default"]


@dataclass(frozen=True)
class PauseAction(CallbackData, prefix="pz"):
    """`pz:new:<person>` starts the pause form; `pz:end:<person>:<pause>` ends that pause today."""

    op: Literal["new", "end"]
    person_id: int
    pause_id: int | None = None


# -- appointments (handlers.appointments) -----------------------------------------------------------


@dataclass(frozen=True)
class SlotsShow(CallbackData, prefix="ap"):
    person_id: int


@dataclass(frozen=True)
class SlotBook(CallbackData, prefix="as"):
    """`as:<person>:<YYYYMMDDHHMM>`: a local slot (the service checks it is still offered)."""

    person_id: int
    stamp: Annotated[str, r"[0-9a-z]{0,12}"]  # read by slot_at: a junk stamp is a slot no longer offered


@dataclass(frozen=True)
class PlaceChoice(CallbackData, prefix="apl"):
    """`apl:<appointment>`: the places; `apl:<appointment>:<place>`: set it."""

    appointment_id: int
    place: Place | None = None


@dataclass(frozen=True)
class AppointmentCancel(CallbackData, prefix="apc"):
    appointment_id: int


@dataclass(frozen=True)
class FamilyRemindersToggle(CallbackData, prefix="fmr"):
    """`fmr:1` turns a family member's meeting reminders on, `fmr:0` off."""

    on: Literal["0", "1"]


# -- family (handlers.family.relatives*, handlers.family.staff) ---


@dataclass(frozen=True)
class FamilyInvite(CallbackData, prefix="fi"):
    """`fi:<person>`: choose the relation; `fi:<person>:<n>`: make the invite for relation n."""

    person_id: int
    relation: Annotated[int, 2] | None = None


@dataclass(frozen=True)
class FamilyMedia(CallbackData, prefix="fm"):
    message_id: int


@dataclass(frozen=True)
class TipPhoto(CallbackData, prefix="tp"):
    tip_id: int


@dataclass(frozen=True)
class FamilyStop(CallbackData, prefix="fs"):
    """`fs:yes`: the confirmed /stop."""

    answer: Literal["yes"] = "yes"


@dataclass(frozen=True)
class Language(CallbackData, prefix="lang"):
    locale: Annotated[str, r"[A-Za-z_]{2,8}"]  # checked against handlers.render.LOCALES


# -- supervisors (handlers.supervisor.commands*) ---


@dataclass(frozen=True)
class AreaDigest(CallbackData, prefix="dg"):
    """`dg:<area>[:<d|w|m><YYYYMMDD>]`: a child area's digest, of today or of that period."""

    area_id: int
    period: Annotated[str, r"[dwm][0-9]{8}"] | None = None


@dataclass(frozen=True)
class WorkerOverdue(CallbackData, prefix="dw"):
    """`dw:<worker>[:<YYYYMMDD>]`: a worker's overdue people, as of today or that day."""

    worker_id: int
    day: date | None = None


@dataclass(frozen=True)
class ReviewNext(CallbackData, prefix="rq"):
    """`rq:<area>:<after record>`: the next report awaiting review in that area."""

    area_id: int
    after: int


@dataclass(frozen=True)
class VerdictGiven(CallbackData, prefix="rv"):
    """`rv:<record>:ok|no:<area>`: a review verdict."""

    record_id: int
    verdict: Literal["ok", "no"]
    area_id: int


@dataclass(frozen=True)
class ExportPeriod(CallbackData, prefix="ex"):
    """`ex:<w|m><YYYYMMDD>`: the export of the week or month of that day."""

    period: Annotated[str, r"[wm][0-9]{8}"]


# -- a case's life (handlers.casework) --------------------------------------------------------------


@dataclass(frozen=True)
class CaseChangeStart(CallbackData, prefix="cc"):
    """`cc:<person>`: the 状态变更 form for that person."""

    person_id: int

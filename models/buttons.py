"""The buttons a use case puts under the messages it sends (alerts, proposals, family notices).

A service that tells someone also offers them what to do next (open the card, confirm, take the
alert), so these button kinds live below the services; handlers.callbacks re-exports them with
every other kind, and the router reads them back. See models.callback_data for the packing rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.callback_data import CallbackData


@dataclass(frozen=True)
class CardOpen(CallbackData, prefix="p"):
    """A person's card: the one place a name is shown."""

    person_id: int


@dataclass(frozen=True)
class ColourDecision(CallbackData, prefix="cp"):
    """`cp:<proposal>:y|n`: confirm or reject a suggested colour."""

    proposal_id: int
    verdict: Literal["y", "n"]


@dataclass(frozen=True)
class AlertAck(CallbackData, prefix="ack"):
    alert_id: int


@dataclass(frozen=True)
class AlertCalled(CallbackData, prefix="acl"):
    alert_id: int


@dataclass(frozen=True)
class FamilyUrgent(CallbackData, prefix="fu"):
    """`fu:`: the family's urgent button; it carries nothing."""


@dataclass(frozen=True)
class CaseDecision(CallbackData, prefix="cd"):
    """`cd:<change>:y|n`: a cadre, police officer or supervisor confirms or refuses a change."""

    change_id: int
    verdict: Literal["y", "n"]


@dataclass(frozen=True)
class TransferDecision(CallbackData, prefix="ct"):
    """`ct:<change>:y|n`: the receiving grid's worker accepts or returns a transfer."""

    change_id: int
    verdict: Literal["y", "n"]


@dataclass(frozen=True)
class RecordChange(CallbackData, prefix="rc"):
    """`rc:<record>:c` re-opens a report as a correction; `rc:<record>:v` voids it."""

    record_id: int
    op: Literal["c", "v"]


@dataclass(frozen=True)
class FamilyThread(CallbackData, prefix="ft"):
    person_id: int


@dataclass(frozen=True)
class ReplyToFamily(CallbackData, prefix="fr"):
    message_id: int


@dataclass(frozen=True)
class TipTakeUp(CallbackData, prefix="tu"):
    """The police's 已受理."""

    tip_id: int

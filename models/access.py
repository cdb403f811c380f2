"""The access matrix: which principal may do which action, over which scope. One place, used by
every command and button, and printed into SECURITY.md.

Scopes, narrowest first:
- `own`: only what is about the caller themself (their links, their settings).
- `linked`: a family member's own linked person, and only the few things the family channel offers.
- `caseload`: people on whose care team the caller is (or whose worker delegated to the caller).
- `jurisdiction`: people whose area lies in the caller's area subtree.
"""

from __future__ import annotations

from enum import StrEnum

from models.people import Role
from models.records import RecordKind


class Principal(StrEnum):
    unlinked = "unlinked"
    family = "family"
    grid_worker = Role.grid_worker.value
    cadre = Role.cadre.value
    police = Role.police.value
    medical = Role.medical.value
    psychologist = Role.psychologist.value
    disability_assistant = Role.disability_assistant.value
    supervisor = Role.supervisor.value
    admin = Role.admin.value


class Scope(StrEnum):
    own = "own"
    linked = "linked"
    caseload = "caseload"
    jurisdiction = "jurisdiction"


class Action(StrEnum):
    onboard = "onboard"  # /start with an invite code
    help = "help"
    whoami = "whoami"
    language = "language"
    cancel = "cancel"
    view_caseload = "view_caseload"
    view_card = "view_card"
    view_sensitive = "view_sensitive"  # ID number and address on the card
    write_record = "write_record"
    correct_record = "correct_record"
    invite_family = "invite_family"
    review_record = "review_record"
    confirm_colour = "confirm_colour"
    view_digest = "view_digest"
    export = "export"
    family_contact = "family_contact"
    family_message = "family_message"
    family_urgent = "family_urgent"
    family_tip = "family_tip"
    reply_family = "reply_family"
    acknowledge_alert = "acknowledge_alert"
    view_today = "view_today"  # /today: what is due across my caseload
    settings = "settings"  # /settings: my reminder time
    delegate = "delegate"  # /delegate: hand my caseload to a colleague while on leave
    pause_person = "pause_person"  # pause a person's obligations (hospital, detention, away)
    view_inbox = "view_inbox"  # /inbox: family threads waiting for an answer
    family_stop = "family_stop"  # /stop: a family member unlinks
    view_performance = "view_performance"  # /workers: per-worker figures
    reveal_tipster = "reveal_tipster"  # the audited administrator command only
    forget = "forget"  # /forget: clear the bot's messages in my own chat
    propose_case_change = "propose_case_change"  # a status change, transfer, agreement or 建档
    confirm_case_change = "confirm_case_change"  # confirm or refuse a proposed status change
    accept_transfer = "accept_transfer"  # the receiving grid takes a person transferred to it
    book_appointment = "book_appointment"  # book, move or cancel a weekly meeting
    take_up_tip = "take_up_tip"  # police mark a tip 已受理; the tipster is told, nothing more
    family_reminders = "family_reminders"  # a family member turns meeting reminders on or off


STAFF = (
    Principal.grid_worker,
    Principal.cadre,
    Principal.police,
    Principal.medical,
    Principal.psychologist,
    Principal.disability_assistant,
)
EVERYONE = (Principal.unlinked, Principal.family, *STAFF, Principal.supervisor, Principal.admin)
LINKED = (Principal.family, *STAFF, Principal.supervisor, Principal.admin)


def _grant(principals: tuple[Principal, ...], scope: Scope) -> dict[Principal, Scope]:
    return dict.fromkeys(principals, scope)


MATRIX: dict[Action, dict[Principal, Scope]] = {
    Action.onboard: _grant(EVERYONE, Scope.own),
    Action.help: _grant(EVERYONE, Scope.own),
    Action.language: _grant(EVERYONE, Scope.own),
    Action.cancel: _grant(EVERYONE, Scope.own),
    Action.whoami: _grant(LINKED, Scope.own),
    Action.view_caseload: _grant(STAFF, Scope.caseload)
    | _grant((Principal.supervisor, Principal.admin), Scope.jurisdiction),
    Action.view_card: _grant(STAFF, Scope.caseload)
    | _grant((Principal.supervisor, Principal.admin), Scope.jurisdiction),
    Action.view_sensitive: _grant((Principal.grid_worker, Principal.cadre, Principal.police), Scope.caseload)
    | {Principal.admin: Scope.jurisdiction},
    Action.write_record: _grant(STAFF, Scope.caseload),
    Action.correct_record: _grant(STAFF, Scope.caseload),
    Action.invite_family: _grant((Principal.grid_worker, Principal.cadre), Scope.caseload)
    | {Principal.admin: Scope.jurisdiction},
    Action.review_record: {Principal.supervisor: Scope.jurisdiction},
    Action.confirm_colour: {Principal.supervisor: Scope.jurisdiction, Principal.police: Scope.caseload},
    Action.view_digest: {Principal.supervisor: Scope.jurisdiction, Principal.admin: Scope.jurisdiction},
    Action.export: {Principal.supervisor: Scope.jurisdiction, Principal.admin: Scope.jurisdiction},
    Action.family_contact: {Principal.family: Scope.linked},
    Action.family_message: {Principal.family: Scope.linked},
    Action.family_urgent: {Principal.family: Scope.linked},
    Action.family_tip: {Principal.family: Scope.linked},
    Action.reply_family: _grant(STAFF, Scope.caseload),
    Action.acknowledge_alert: _grant(STAFF, Scope.caseload) | {Principal.supervisor: Scope.jurisdiction},
    Action.view_today: _grant(STAFF, Scope.caseload),
    Action.settings: _grant(STAFF, Scope.own) | _grant((Principal.supervisor, Principal.admin), Scope.own),
    Action.delegate: _grant((Principal.grid_worker, Principal.cadre), Scope.own),
    Action.pause_person: _grant((Principal.grid_worker, Principal.cadre, Principal.police), Scope.caseload),
    Action.view_inbox: _grant(STAFF, Scope.caseload),
    Action.family_stop: {Principal.family: Scope.own},
    Action.view_performance: {Principal.supervisor: Scope.jurisdiction, Principal.admin: Scope.jurisdiction},
    Action.reveal_tipster: {Principal.admin: Scope.jurisdiction},
    Action.forget: _grant(LINKED, Scope.own),
    Action.propose_case_change: _grant(
        (Principal.grid_worker, Principal.cadre, Principal.police), Scope.caseload
    ),
    Action.confirm_case_change: _grant((Principal.cadre, Principal.police), Scope.caseload)
    | {Principal.supervisor: Scope.jurisdiction},
    Action.accept_transfer: {
        Principal.grid_worker: Scope.jurisdiction,
        Principal.supervisor: Scope.jurisdiction,
    },
    Action.book_appointment: _grant(
        (Principal.grid_worker, Principal.cadre, Principal.police), Scope.caseload
    ),
    Action.take_up_tip: {Principal.police: Scope.jurisdiction},
    Action.family_reminders: {Principal.family: Scope.linked},
}


_K = RecordKind
_CASEWORK = (_K.visit, _K.drug_test, _K.education, _K.thought_report, _K.assessment, _K.help, _K.note)

# Which record forms each care-team role files (`write_record` then says for whom): the article's
# team, each in its own part. The grid worker and the cadre run the case; the police officer
# meets, tests, assesses and takes the 报到; medical staff test and counsel; the psychologist
# counsels; the disability assistant visits and helps. Everyone may write a note.
FORMS: dict[Principal, frozenset[RecordKind]] = {
    Principal.grid_worker: frozenset((*_CASEWORK, _K.registration)),
    Principal.cadre: frozenset((*_CASEWORK, _K.registration)),
    Principal.police: frozenset(
        (_K.visit, _K.drug_test, _K.education, _K.assessment, _K.note, _K.registration)
    ),
    Principal.medical: frozenset((_K.drug_test, _K.counselling, _K.note)),
    Principal.psychologist: frozenset((_K.counselling, _K.note)),
    Principal.disability_assistant: frozenset((_K.visit, _K.help, _K.note)),
}


def may_file(principal: Principal, kind: RecordKind | str) -> bool:
    """Whether this role files records of this kind at all (whose: `write_record`'s scope)."""
    return kind in FORMS.get(principal, frozenset())


def scope_of(principal: Principal, action: Action) -> Scope | None:
    """The scope in which `principal` may do `action`, or None if never."""
    return MATRIX[action].get(principal)


def principal_of(role: Role | None, *, family: bool = False) -> Principal:
    if family:
        return Principal.family
    return Principal(role.value) if role else Principal.unlinked

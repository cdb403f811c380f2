"""The person card (对象档案) and a person's history, as frozen views; every read audited.

Sensitive fields (ID number, phone, address) are opened only for roles whose scope for
`view_sensitive` covers the person, and only when the key ring is at hand; the ID number is
shown masked even then (first six and last four digits), which identifies without exposing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from models.access import Action, scope_of
from models.areas import Area
from models.audit import audit
from models.crypto import CryptoError, KeyRing
from models.people import CareAssignment, CaseRole, Colour, Person, Status, Worker
from models.policy import Policy
from models.records import Record, RecordKind
from models.sealing import open_field
from models.services.caseload import PersonLine, person_line
from models.services.identity import Identity
from models.services.obligations.due import person_rows
from models.services.rights import may

RECENT = 5
HISTORY_PAGE = 5
# Built once with parameters (see models.services.sql): every card runs them.
# The person and their area's name in one statement (on PostgreSQL each is a round trip).
_PERSON = (
    select(Person, Area.name).join(Area, Area.id == Person.area_id).where(Person.id == bindparam("person"))
)
# Record lists are read on the tables (Core rows: no Record objects made and tracked for a view),
# their authors' names through two aliases of the workers' table built once (a fresh
# aliased(Worker) per call cost ≈ 2.7 ms each time a list was built; BENCHMARKS.md, issue 15).
_RECORDS = Record.__table__
_AUTHOR = Worker.__table__.alias("author")
_BEHALF = Worker.__table__.alias("behalf")


def mask_id_number(value: str | None) -> str | None:
    """'420102199001011234' → '420102********1234': enough to confirm who it is, no more."""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * (len(value) - 2) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


@dataclass(frozen=True)
class TeamMember:
    name: str
    case_role: str
    work_phone: str | None


@dataclass(frozen=True)
class DueView:
    """One obligation of this period: what, done of required, by when, and its state."""

    obligation: str
    state: str
    done: int
    required: int
    due_date: date


@dataclass(frozen=True)
class RecordView:
    id: int
    kind: str
    subkind: str | None
    result: str | None
    score: int | None
    occurred_at: datetime
    created_at: datetime
    late: bool
    voided: bool
    void_reason: str | None
    corrects_id: int | None
    author: str
    on_behalf_of: str | None
    place: str | None
    notes: str | None
    details: dict[str, Any]
    has_photo: bool


@dataclass(frozen=True)
class PersonCard:
    id: int
    code: str
    name: str
    colour: Colour
    status: Status
    area: str
    registered_on: date | None
    agreement_signed_on: date | None
    programme_start: date | None
    programme_end: date | None
    release_date: date | None
    team: tuple[TeamMember, ...]
    due: tuple[DueView, ...]
    last_visit: RecordView | None
    last_test: RecordView | None
    recent: tuple[RecordView, ...]
    may_see_sensitive: bool  # the role and scope allow it
    sensitive_open: bool  # and the fields could be opened (the key ring was at hand)
    id_number: str | None = None  # masked
    phone: str | None = None
    address: str | None = None


def find_person(
    session: Session, who: Identity, code: str, action: Action, *, now: datetime, today: date | None = None
) -> int | None:
    """The id of the person with this code if the caller may do `action` on them; a refusal (also for
    a code that names nobody) is audited and indistinguishable."""
    person_id = session.scalar(select(Person.id).where(func.upper(Person.code) == code.strip().upper()))
    if person_id is None:
        audit(session, who.actor, "refused", "person", None, at=now, detail=str(action))
        return None
    return person_id if may(session, who, action, person_id, now=now, today=today) else None


def person_card(
    session: Session,
    who: Identity,
    person_id: int,
    *,
    now: datetime,
    today: date,
    policy: Policy,
    keys: KeyRing | None = None,
) -> PersonCard | None:
    """The card, or None if the caller may not see this person (refusal audited). Audited read."""
    if not may(session, who, Action.view_card, person_id, now=now, today=today):
        return None
    person, area = session.execute(_PERSON, {"person": person_id}).one()  # may() found it
    # The answer depends on the scope alone: where the two actions share one, the card's check holds.
    sensitive_scope = scope_of(who.principal, Action.view_sensitive)
    sensitive = sensitive_scope is not None and (
        sensitive_scope is scope_of(who.principal, Action.view_card)
        or may(session, who, Action.view_sensitive, person_id, now=now, today=today)
    )
    opened: dict[str, str | None] = {}
    if sensitive and keys is not None:
        try:
            opened = {f: open_field(keys, person, f) for f in ("id_number", "phone", "address")}
        except CryptoError:
            opened = {}  # under a key this process lacks, or one that does not open it: unavailable
    recent = _records(session, _RECENT, {"person": person_id})
    card = PersonCard(
        id=person.id,
        code=person.code,
        name=person.name,
        colour=person.colour,
        status=person.status,
        area=area,
        registered_on=person.registered_on,
        agreement_signed_on=person.agreement_signed_on,
        programme_start=person.programme_start,
        programme_end=person.programme_end,
        release_date=person.release_date,
        team=_team(session, person_id),
        due=tuple(
            DueView(str(i.obligation), str(i.state), i.done, i.required, i.due_date)
            for i in person_rows(session, person_id, today, policy)
        ),
        last_visit=_last(session, person_id, RecordKind.visit, recent),
        last_test=_last(session, person_id, RecordKind.drug_test, recent),
        recent=tuple(recent),
        may_see_sensitive=sensitive,
        sensitive_open=bool(opened),
        id_number=mask_id_number(opened.get("id_number")),
        phone=opened.get("phone"),
        address=opened.get("address"),
    )
    audit(
        session,
        who.actor,
        "read",
        "person",
        person_id,
        at=now,
        person_id=person_id,
        detail="sensitive" if opened else None,
    )
    return card


@dataclass(frozen=True)
class HistoryPage:
    person: PersonLine
    records: tuple[RecordView, ...]
    page: int
    pages: int
    total: int


def person_history(
    session: Session,
    who: Identity,
    person_id: int,
    *,
    now: datetime,
    today: date | None = None,
    page: int = 0,
) -> HistoryPage | None:
    """A person's records, newest first, voided and corrected ones included (marked); audited."""
    if not may(session, who, Action.view_card, person_id, now=now, today=today):
        return None
    line = person_line(session, person_id)
    assert line is not None
    total = session.scalar(select(func.count()).select_from(Record).where(Record.person_id == person_id)) or 0
    pages = max(1, -(-total // HISTORY_PAGE))
    page = min(max(page, 0), pages - 1)
    query = select(_RECORDS).where(_RECORDS.c.person_id == person_id).offset(page * HISTORY_PAGE)
    records = _records(session, _listed(query, HISTORY_PAGE))
    audit(
        session, who.actor, "read", "history", person_id, at=now, person_id=person_id, detail=f"page={page}"
    )
    return HistoryPage(line, tuple(records), page, pages, total)


def record_view(session: Session, record_id: int) -> RecordView | None:
    """One record as a view (the caller has checked rights)."""
    found = _records(session, _listed(select(_RECORDS).where(_RECORDS.c.id == record_id), 1))
    return found[0] if found else None


def _last(session: Session, person_id: int, kind: RecordKind, recent: list[RecordView]) -> RecordView | None:
    """The latest record of this kind not voided: among the recent ones (same order) when there, else read."""
    for view in recent:
        if view.kind == kind and not view.voided:
            return view
    if len(recent) < RECENT:  # the recent ones are all the person has
        return None
    found = _records(session, _LAST, {"person": person_id, "kind": kind})
    return found[0] if found else None


def _listed(query: Select, limit: int) -> Select:
    """Records (a select of the records table) newest first, with their author's and delegator's names."""
    author, behalf = _AUTHOR, _BEHALF
    return (
        query.add_columns(author.c.name.label("author_name"), behalf.c.name.label("behalf_name"))
        .join(author, author.c.id == _RECORDS.c.author_id)
        .outerjoin(behalf, behalf.c.id == _RECORDS.c.on_behalf_of)
        .order_by(_RECORDS.c.occurred_at.desc(), _RECORDS.c.id.desc())
        .limit(limit)
    )


# Built once: every card reads them.
_RECENT = _listed(select(_RECORDS).where(_RECORDS.c.person_id == bindparam("person")), RECENT)
_LAST = _listed(
    select(_RECORDS).where(
        _RECORDS.c.person_id == bindparam("person"),
        _RECORDS.c.kind == bindparam("kind"),
        _RECORDS.c.voided.is_(False),
    ),
    1,
)


def _records(session: Session, query: Select, params: dict[str, Any] | None = None) -> list[RecordView]:
    return [
        RecordView(
            r.id,
            str(r.kind),
            r.subkind,
            r.result,
            r.score,
            r.occurred_at,
            r.created_at,
            r.late,
            r.voided,
            r.void_reason,
            r.corrects_id,
            r.author_name,
            r.behalf_name,
            r.place,
            r.notes,
            dict(r.details or {}),
            r.photo_ref is not None,
        )
        for r in session.execute(query, params)
    ]


_TEAM = (
    select(Worker.name, CareAssignment.case_role, Worker.work_phone)
    .join(CareAssignment, CareAssignment.worker_id == Worker.id)
    .where(CareAssignment.person_id == bindparam("person"), Worker.active.is_(True))
)


def _team(session: Session, person_id: int) -> tuple[TeamMember, ...]:
    rows = session.execute(_TEAM, {"person": person_id})
    order = {role: n for n, role in enumerate(CaseRole)}  # the responsible worker first
    members = sorted(rows, key=lambda row: (order[row[1]], row[0]))
    return tuple(TeamMember(name, str(role), phone) for name, role, phone in members)

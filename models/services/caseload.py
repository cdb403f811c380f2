"""A worker's caseload (我的对象) and who else cares for a person, as frozen views for the chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, Select, bindparam, exists, func, select
from sqlalchemy.orm import Session

from models.access import Action, Scope, scope_of
from models.areas import Area, within
from models.audit import audit
from models.people import CareAssignment, CaseRole, Colour, Person, Role, Status, Worker
from models.policy import Policy
from models.schedule import State
from models.services.identity import Identity
from models.services.obligations.due import open_counts
from models.services.rights import caseload_clause, delegators_of, local_day

PAGE_SIZE = 8
SEARCH_LIMIT = 200  # a jurisdiction search lists at most this many people
_COLOUR_ORDER = {c: i for i, c in enumerate(Colour)}


@dataclass(frozen=True)
class PersonLine:
    """One person in a list: enough to choose, nothing sensitive."""

    id: int
    code: str
    name: str
    colour: Colour
    status: Status
    programme_end: date | None
    programme_start: date | None = None


@dataclass(frozen=True)
class CaseLine:
    """One person of /my: colour, open work, and whose caseload it is while delegated."""

    id: int
    code: str
    name: str
    colour: Colour
    status: Status
    overdue: int = 0
    due: int = 0
    delegated_by: str | None = None  # the colleague on leave whose person this is


@dataclass(frozen=True)
class CaseloadPage:
    lines: tuple[CaseLine, ...]
    page: int
    pages: int
    total: int
    overdue: int  # people with anything overdue, over the whole list
    search: str | None
    jurisdiction: bool  # a supervisor's search over their subtree, not a caseload


_LINE_COLUMNS = (
    Person.id,
    Person.code,
    Person.name,
    Person.colour,
    Person.status,
    Person.programme_end,
    Person.programme_start,
)


# Built once with parameters, on the table (see models.services.sql): every form's "whom is it
# about?" step and /my list the caseload, and /card, every form step and each alert show one line.
_persons = Person.__table__
_LINE = tuple(_persons.c[c.key] for c in _LINE_COLUMNS)
_CASELOAD = select(*_LINE).where(caseload_clause(bindparam("worker"), bindparam("day", type_=Date)))
_ONE_LINE = select(*_LINE).where(_persons.c.id == bindparam("person"))


def _matching(query: Select, search: str | None) -> Select:
    """Chinese characters of the name, pinyin initials ('zs' for 张三) or the start of the code."""
    if not search or not search.strip():
        return query
    term = search.strip()
    return query.where(
        Person.name.contains(term, autoescape=True)
        | Person.initials.startswith(term.lower(), autoescape=True)
        | func.upper(Person.code).startswith(term.upper(), autoescape=True)
    )


def caseload(
    session: Session, who: Identity, *, now: datetime, search: str | None = None, today: date | None = None
) -> list[PersonLine]:
    """The people on the caller's care teams (and delegated to them today), red/orange first; audited."""
    if who.worker_id is None:
        return []
    params = {"worker": who.worker_id, "day": local_day(now, today)}
    lines = sorted(
        (PersonLine(*row) for row in session.execute(_matching(_CASELOAD, search), params).all()),
        key=lambda p: (_COLOUR_ORDER[p.colour], p.code),
    )
    audit(session, who.actor, "list", "caseload", who.worker_id, at=now, detail=f"n={len(lines)}")
    return lines


def person_line(session: Session, person_id: int) -> PersonLine | None:
    """The list view of one person (the caller has checked rights). Prebuilt: every form step shows it."""
    row = session.execute(_ONE_LINE, {"person": person_id}).first()
    return PersonLine(*row) if row else None


def caseload_page(
    session: Session,
    who: Identity,
    *,
    now: datetime,
    today: date,
    policy: Policy,
    search: str | None = None,
    page: int = 0,
) -> CaseloadPage:
    """/my: the caseload, most urgent first (overdue, colour, due), one page of it; audited.

    A supervisor or administrator has no caseload: they search their jurisdiction by name or code.
    """
    if who.worker_id is None:
        return CaseloadPage((), 0, 1, 0, 0, search, False)
    if scope_of(who.principal, Action.view_caseload) is Scope.jurisdiction:
        return _jurisdiction_page(session, who, now=now, search=search, page=page)
    people = caseload(session, who, now=now, search=search, today=today)
    delegators = list(session.scalars(_DELEGATORS, {"worker": who.worker_id, "day": today}))
    counts = open_counts(session, today=today, policy=policy, caseload_of=who.worker_id)
    lent = _delegated_by(session, who.worker_id, delegators, [p.id for p in people])
    lines = sorted(
        (
            CaseLine(
                p.id,
                p.code,
                p.name,
                p.colour,
                p.status,
                counts[(p.id, State.overdue)],
                counts[(p.id, State.due)],
                lent.get(p.id),
            )
            for p in people
        ),
        key=lambda c: (-min(c.overdue, 1), _COLOUR_ORDER[c.colour], -c.overdue, -c.due, c.code),
    )
    return _paged(lines, page, search, jurisdiction=False)


def _paged(lines: list[CaseLine], page: int, search: str | None, *, jurisdiction: bool) -> CaseloadPage:
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = tuple(lines[page * PAGE_SIZE : (page + 1) * PAGE_SIZE])
    overdue = sum(1 for c in lines if c.overdue)
    return CaseloadPage(shown, page, pages, len(lines), overdue, search, jurisdiction)


# Built once with parameters: /my asks who delegated to me today, for the counts and the names.
_DELEGATORS = delegators_of(bindparam("worker"), bindparam("day", type_=Date))
_assignments, _workers = CareAssignment.__table__, Worker.__table__
_mine = _assignments.alias("mine")
# Built once with parameters: the names of my delegators on the people I have only through them.
_LENT = (
    select(_assignments.c.person_id, _workers.c.name)
    .join(_workers, _workers.c.id == _assignments.c.worker_id)
    .where(
        _assignments.c.person_id.in_(bindparam("people", expanding=True)),
        _assignments.c.worker_id.in_(bindparam("delegators", expanding=True)),
        ~exists().where(
            _mine.c.person_id == _assignments.c.person_id, _mine.c.worker_id == bindparam("worker")
        ),
    )
)


def _delegated_by(
    session: Session, worker_id: int, delegators: list[int], person_ids: list[int]
) -> dict[int, str]:
    """For people in my list only through a delegation: the name of the colleague on leave."""
    if not delegators or not person_ids:
        return {}
    params = {"worker": worker_id, "delegators": delegators, "people": person_ids}
    return {person_id: name for person_id, name in session.execute(_LENT, params)}


def _jurisdiction_page(
    session: Session, who: Identity, *, now: datetime, search: str | None, page: int
) -> CaseloadPage:
    if not search or not who.area_path:
        return CaseloadPage((), 0, 1, 0, 0, search, True)
    query = _matching(
        select(Person.id, Person.code, Person.name, Person.colour, Person.status)
        .join(Area, Area.id == Person.area_id)
        .where(within(Area.path, who.area_path)),
        search,
    )
    rows = session.execute(query.order_by(Person.code).limit(SEARCH_LIMIT)).all()
    lines = sorted((CaseLine(*row) for row in rows), key=lambda c: (_COLOUR_ORDER[c.colour], c.code))
    audit(session, who.actor, "search", "jurisdiction", who.worker_id, at=now, detail=f"n={len(lines)}")
    return _paged(lines, page, search, jurisdiction=True)


# -- who else is on the case ------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A staff member to tell something about a person (alerts, colour proposals)."""

    worker_id: int
    chat_id: int
    role: str  # their part in the case (cadre, police) or "supervisor"


def care_team_recipients(session: Session, person_id: int, roles: tuple[CaseRole, ...]) -> list[Recipient]:
    """Active, linked members of the person's care team in these case roles."""
    rows = session.execute(
        select(Worker.id, Worker.telegram_user_id, CareAssignment.case_role)
        .join(CareAssignment, CareAssignment.worker_id == Worker.id)
        .where(
            CareAssignment.person_id == person_id,
            CareAssignment.case_role.in_(roles),
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),
        )
        .order_by(Worker.id)
    )
    # The query keeps linked accounts only.
    return [Recipient(w, chat, str(role)) for w, chat, role in rows if chat is not None]


def nearest_supervisors(session: Session, person_id: int) -> list[Recipient]:
    """The linked supervisors of the lowest area above (or at) the person's grid that has any."""
    path = session.scalar(
        select(Area.path).join(Person, Person.area_id == Area.id).where(Person.id == person_id)
    )
    if path is None:
        return []
    codes = path.strip("/").split("/")
    ancestors = ["/" + "/".join(codes[: n + 1]) + "/" for n in range(len(codes))]
    rows = session.execute(
        select(Worker.id, Worker.telegram_user_id, Area.path)
        .join(Area, Area.id == Worker.area_id)
        .where(
            Worker.role == Role.supervisor,
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),  # an unlinked one must not hide a linked one above
            Area.path.in_(ancestors),
        )
    ).all()
    if not rows:
        return []
    nearest = max(len(p) for _, _, p in rows)
    return [
        Recipient(worker_id, chat_id, "supervisor")
        for worker_id, chat_id, p in sorted(rows)
        if len(p) == nearest and chat_id is not None
    ]

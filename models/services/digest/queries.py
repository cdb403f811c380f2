"""The digest's queries over a subtree, one each, answered per area id (see digest_counts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from models.areas import Area, subtree_ids, within
from models.casework import Pause
from models.chat import Chat
from models.family import Direction, FamilyMessage, UrgentAlert
from models.people import Colour, ColourChange, FamilyMember, Person, Status, Worker
from models.records import Record, RecordKind, TestResult
from models.services.digest.scope import in_subtree
from models.services.sql import sum_of

MANAGED = (Status.community_detox, Status.community_rehab, Status.compulsory_isolation)
UNANSWERED_AFTER = timedelta(hours=24)
COLOURS = tuple(Colour)
Counts = dict[int, tuple[int, ...]]  # area id → figures
_persons, _records = Person.__table__, Record.__table__


def grouped(session: Session, query: Select) -> Counts:
    return {row[0]: tuple(int(v or 0) for v in row[1:]) for row in session.execute(query)}


def people_by_area(
    session: Session, path: str, start: date, end: date, since: datetime, until: datetime
) -> Counts:
    """Per area: managed people by colour, those in compulsory isolation, and the period's arrivals,
    releases and programme ends; one row per area, counted in one pass over the subtree's persons.
    On the tables (Core rows): a country's 67,000 areas are not processed by the ORM, and no row per
    colour and status reaches Python."""
    managed = _persons.c.status.in_(MANAGED)
    # The period's registration records found once, by ix_records_kind_time, not looked for person
    # by person: an EXISTS per person took 0.42-0.55 s of a province's digest, this 0.05 s.
    registered = or_(
        _persons.c.registered_on.between(start, end),
        _persons.c.id.in_(
            select(_records.c.person_id).where(
                _records.c.kind == RecordKind.registration,
                _records.c.voided.is_(False),
                _records.c.occurred_at >= since,
                _records.c.occurred_at < until,
            )
        ),
    )
    query = (
        select(
            _persons.c.area_id,
            *(sum_of(managed & (_persons.c.colour == colour)) for colour in COLOURS),
            sum_of(_persons.c.status == Status.compulsory_isolation),
            sum_of(registered),
            sum_of(_persons.c.release_date.between(start, end)),
            sum_of(_persons.c.programme_end.between(start, end)),
        )
        .where(_persons.c.area_id.in_(subtree_ids(path)))
        .group_by(_persons.c.area_id)
    )
    return grouped(session, query)


def filed_by_area(session: Session, path: str, since: datetime, until: datetime) -> Counts:
    is_test = Record.kind == RecordKind.drug_test
    query = in_subtree(
        select(
            Person.area_id,
            func.count(),
            sum_of(Record.late.is_(True)),
            sum_of(and_(is_test, Record.result == TestResult.positive)),
            sum_of(and_(is_test, Record.result == TestResult.refused)),
            sum_of(and_(is_test, Record.result == TestResult.absent)),
        ).select_from(Record),
        Record.person_id,
        path,
    ).where(Record.created_at >= since, Record.created_at < until, Record.voided.is_(False))
    return grouped(session, query.group_by(Person.area_id))


def alerts_by_area(
    session: Session, path: str, since: datetime, until: datetime, asof: datetime
) -> tuple[tuple[int, datetime, datetime | None], ...]:
    """Alerts are few: their times are kept, for the median wait."""
    query = in_subtree(
        select(Person.area_id, UrgentAlert.created_at, UrgentAlert.acknowledged_at).select_from(UrgentAlert),
        UrgentAlert.person_id,
        path,
    ).where(UrgentAlert.created_at >= since, UrgentAlert.created_at < until)
    return tuple(
        (area_id, created, acked if acked is not None and acked <= asof else None)
        for area_id, created, acked in session.execute(query)
    )


def unanswered_by_area(session: Session, path: str, asof: datetime) -> Counts:
    """Family messages waiting more than 24 hours for the worker's answer at `asof`."""
    query = in_subtree(
        select(Person.area_id, func.count()).select_from(FamilyMessage), FamilyMessage.person_id, path
    ).where(
        FamilyMessage.direction == Direction.from_family,
        FamilyMessage.created_at <= asof - UNANSWERED_AFTER,
        or_(FamilyMessage.answered_at.is_(None), FamilyMessage.answered_at > asof),
    )
    return grouped(session, query.group_by(Person.area_id))


def changes_by_area(
    session: Session, path: str, since: datetime, until: datetime
) -> tuple[tuple[int, Colour, Colour], ...]:
    query = in_subtree(
        select(Person.area_id, ColourChange.from_colour, ColourChange.to_colour).select_from(ColourChange),
        ColourChange.person_id,
        path,
    ).where(
        ColourChange.changed_at >= since,
        ColourChange.changed_at < until,
        ColourChange.from_colour.is_not(None),  # the first colour is a registration, not a change
    )
    return tuple((area_id, old, new) for area_id, old, new in session.execute(query))


def unreachable_by_area(session: Session, path: str) -> Counts:
    workers = (
        select(Worker.area_id, func.count())
        .join(Chat, Chat.chat_id == Worker.telegram_user_id)
        .join(Area, Area.id == Worker.area_id)
        .where(within(Area.path, path), Worker.active.is_(True), Chat.unreachable.is_(True))
        .group_by(Worker.area_id)
    )
    families = in_subtree(
        select(Person.area_id, func.count())
        .select_from(FamilyMember)
        .join(Chat, Chat.chat_id == FamilyMember.telegram_user_id),
        FamilyMember.person_id,
        path,
    ).where(FamilyMember.active.is_(True), Chat.unreachable.is_(True))
    found: dict[int, tuple[int, int]] = {}
    for area_id, (n,) in grouped(session, workers).items():
        found[area_id] = (n, 0)
    for area_id, (n,) in grouped(session, families.group_by(Person.area_id)).items():
        found[area_id] = (found.get(area_id, (0, 0))[0], n)
    return dict(found)


def pauses_by_area(session: Session, path: str, start: date, end: date, on: date) -> Counts:
    query = in_subtree(
        select(
            Person.area_id,
            func.count(
                func.distinct(case((and_(Pause.starts_on <= on, Pause.ends_on >= on), Pause.person_id)))
            ),
            sum_of(Pause.starts_on.between(start, end)),
        ).select_from(Pause),
        Pause.person_id,
        path,
    )
    return grouped(session, query.group_by(Person.area_id))

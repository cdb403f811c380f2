"""A small city for the reminder tests: one grid, a worker, a cadre, people, records; and jobs run
with a controllable clock (a JobCtx per call, as the scheduler makes one per run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db import Database
from handlers.context import JobCtx
from handlers.render import Renderer
from models.areas import Area
from models.audit import Actor
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import CaseRole, Colour, Person, Role, Status, Worker
from models.policy import Policy
from models.records import Record, RecordKind
from models.services.directory.entries import assign, change_colour
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker

TZ = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")
_chats = count(70_000)


def at(day: date, clock: time = time(9, 0)) -> datetime:
    """A local moment, as the UTC time the clock would give."""
    return datetime.combine(day, clock, tzinfo=TZ).astimezone(UTC)


@dataclass
class City:
    db: Database
    grid: Area
    worker: Worker
    cadre: Worker
    people: list[Person] = field(default_factory=list)
    policy: Policy = field(default_factory=lambda: Policy(tz=TZ))
    renderer: Renderer = field(default_factory=lambda: Renderer(TZ))

    def run(self, fn: Callable[..., T], now: datetime, /, *args: Any, **kwargs: Any) -> T:
        """Run a job function in one unit of work at `now` (the scheduler's way)."""
        with self.db.unit_of_work() as session:
            jctx = JobCtx(now=now, renderer=self.renderer, _session=session, policy=self.policy)
            return fn(jctx, *args, **kwargs)

    def person(
        self,
        *,
        colour: Colour = Colour.blue,
        status: Status = Status.community_detox,
        created: datetime,
        **fields: Any,
    ) -> Person:
        """A person in the grid, the worker responsible and the cadre on the team."""
        with self.db.unit_of_work() as session:
            person = make_person(
                session, self.grid, keys=KeyRing.parse(TEST_KEYS), now=created, colour=colour, status=status
            )
            for name, value in fields.items():
                setattr(person, name, value)
            worker, cadre = session.get(Worker, self.worker.id), session.get(Worker, self.cadre.id)
            assign(session, person, worker, CaseRole.responsible)
            assign(session, person, cadre, CaseRole.cadre)
        self.people.append(person)
        return person

    def record(
        self,
        person: Person,
        kind: RecordKind,
        when: datetime,
        subkind: str | None = None,
        result: str | None = None,
    ) -> None:
        with self.db.unit_of_work() as session:
            session.add(
                Record(
                    person_id=person.id,
                    kind=kind,
                    subkind=subkind,
                    result=result,
                    occurred_at=when,
                    author_id=self.worker.id,
                    created_at=when,
                    updated_at=when,
                )
            )

    def meet(self, person: Person, when: datetime) -> None:
        self.record(person, RecordKind.visit, when, "home")

    def all_done_before(self, person: Person, day: date) -> None:
        """Record the previous month's, half-year's and year's work and the meetings of the last two weeks."""
        first = day.replace(day=1)
        last_month = first - timedelta(days=3)
        for kind, subkind, result in (
            (RecordKind.drug_test, "urine", "negative"),
            (RecordKind.education, None, None),
            (RecordKind.thought_report, None, None),
        ):
            self.record(person, kind, at(last_month), subkind, result)
        self.record(person, RecordKind.assessment, at(date(day.year - 1, 12, 1)), "comprehensive")
        self.record(person, RecordKind.assessment, at(date(day.year - 1, 12, 1)), "quantitative")
        self.meet(person, at(day - timedelta(days=7)))
        self.meet(person, at(day - timedelta(days=1)))

    def recolour(self, person: Person, colour: Colour, when: datetime) -> None:
        with self.db.unit_of_work() as session:
            change_colour(
                session, session.get(Person, person.id), colour, reason="test", actor=Actor.cli(), now=when
            )

    def outbox(self) -> dict[str, OutboxMessage]:
        """Every queued message by dedupe key (detached copies)."""
        with self.db.unit_of_work() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            session.expunge_all()
        return {r.dedupe_key: r for r in rows}


def linked_worker(db: Database, area: Area, role: Role = Role.grid_worker, **fields: Any) -> Worker:
    with db.unit_of_work() as session:
        worker = make_worker(session, session.get(Area, area.id), role=role)
        worker.telegram_user_id = next(_chats)
        for name, value in fields.items():
            setattr(worker, name, value)
        session.flush()
        session.expunge(worker)
    return worker


def build_city(db: Database, *, prefix: str = "T") -> City:
    with db.unit_of_work() as session:
        tree = make_tree(session, prefix=prefix)
        session.expunge_all()
    grid = tree["G1"]
    return City(db, grid, linked_worker(db, grid), linked_worker(db, tree["COM"], Role.cadre))

"""A small city for the family channel's tests: one person with a full care team and a linked family."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.db import Database
from models.audit import Actor
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import CaseRole, Person, Role, Worker
from models.services.directory.entries import assign
from models.services.directory.invites import invite_family, invite_worker
from tests.factories import make_person, make_tree, make_worker

STATION = "测试社区工作站，幸福路1号"

# Telegram ids of the accounts in the city, distinctive so a leak is easy to spot in any text.
WORKER, CADRE, POLICE, SUPERVISOR, OTHER_WORKER, OTHER_POLICE = (
    7100001,
    7100002,
    7100003,
    7100004,
    7100005,
    7100006,
)
FAMILY, OTHER_FAMILY = 8200001, 8200002
ACCOUNTS = {
    "W-1": WORKER,
    "W-CADRE": CADRE,
    "W-POLICE": POLICE,
    "W-SUP": SUPERVISOR,
    "W-2": OTHER_WORKER,
    "W-POLICE-2": OTHER_POLICE,
}


@dataclass(frozen=True)
class City:
    person_id: int
    other_person_id: int
    worker_ids: dict[str, int]


def build_city(db: Database, keys: KeyRing, now: datetime) -> City:
    """Tree T-*, a grid worker with office hours, cadre, police, supervisor; P-MINE and P-OTHER.

    A second community (T-COM2) has its own police officer, who must never get P-MINE's tips.
    """
    with db.unit_of_work() as s:
        tree = make_tree(s)
        tree["COM"].address = STATION.split("，")[1]
        tree["COM"].name = STATION.split("，")[0]
        other_com = make_tree(s, prefix="U")["COM"]
        workers: dict[str, Worker] = {
            "W-1": make_worker(s, tree["G1"], code="W-1"),
            "W-CADRE": make_worker(s, tree["COM"], role=Role.cadre, code="W-CADRE"),
            "W-POLICE": make_worker(s, tree["COM"], role=Role.police, code="W-POLICE"),
            "W-SUP": make_worker(s, tree["COM"], role=Role.supervisor, code="W-SUP"),
            "W-2": make_worker(s, tree["G1"], code="W-2"),
            "W-POLICE-2": make_worker(s, other_com, role=Role.police, code="W-POLICE-2"),
        }
        workers["W-1"].office_hours = "周一至周五 9:00-17:00"
        workers["W-1"].work_phone = "0715-8123456"
        mine = make_person(s, tree["G1"], keys=keys, now=now, worker=workers["W-1"], code="P-MINE")
        assign(s, mine, workers["W-CADRE"], CaseRole.cadre)
        assign(s, mine, workers["W-POLICE"], CaseRole.police)
        other = make_person(s, tree["G1"], keys=keys, now=now, worker=workers["W-2"], code="P-OTHER")
        s.flush()
        return City(mine.id, other.id, {code: w.id for code, w in workers.items()})


def worker_code(db: Database, code: str, now: datetime) -> str:
    return db.call(invite_worker, code, actor=Actor.cli(), now=now).code


def family_code(db: Database, person_code: str, now: datetime, relation: str = "母亲") -> str:
    return db.call(invite_family, person_code, relation, actor=Actor.cli(), now=now).code


def outbox(db: Database, purpose: str | None = None) -> list[OutboxMessage]:
    """The queued messages (optionally of one purpose), oldest first."""
    with db.unit_of_work() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if purpose is not None:
            query = query.where(OutboxMessage.purpose == purpose)
        return list(s.scalars(query))


def person_name(db: Database, person_id: int) -> str:
    with db.unit_of_work() as s:
        return s.scalar(select(Person.name).where(Person.id == person_id)) or ""

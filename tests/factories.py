"""Test data factories: generated, obviously fake people and places."""

from __future__ import annotations

import base64
from datetime import date, datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel
from models.audit import Actor
from models.crypto import KeyRing
from models.people import CaseRole, Colour, Person, Role, Status, Worker
from models.records import Record, RecordKind
from models.services.directory.entries import (
    AreaData,
    PersonData,
    WorkerData,
    assign,
    upsert_area,
    upsert_person,
    upsert_worker,
)

TEST_KEYS = "t1:" + base64.urlsafe_b64encode(b"k" * 32).decode()
_seq = count(1)


def make_tree(session: Session, *, prefix: str = "T") -> dict[str, Area]:
    """city → county → town → community → grid, codes like T-CITY, T-G1."""
    levels = [
        ("CITY", "测试市", AreaLevel.city, None),
        ("CTY", "测试县", AreaLevel.county, "CITY"),
        ("TOWN", "测试镇", AreaLevel.town, "CTY"),
        ("COM", "测试社区", AreaLevel.community, "TOWN"),
        ("G1", "第一网格", AreaLevel.grid, "COM"),
    ]
    made: dict[str, Area] = {}
    for code, name, level, parent in levels:
        parent_code = f"{prefix}-{parent}" if parent else None
        made[code], _ = upsert_area(session, AreaData(f"{prefix}-{code}", name, level, parent_code))
    return made


def make_worker(
    session: Session, area: Area, *, role: Role = Role.grid_worker, code: str | None = None
) -> Worker:
    n = next(_seq)
    worker, _ = upsert_worker(
        session, WorkerData(code or f"W{n:05d}", f"测试员{n}", role, area.code, work_phone=f"0000-{n:04d}")
    )
    return worker


def make_person(
    session: Session,
    area: Area,
    *,
    keys: KeyRing,
    now: datetime,
    colour: Colour = Colour.blue,
    status: Status = Status.community_detox,
    worker: Worker | None = None,
    code: str | None = None,
    id_number: str | None = None,
) -> Person:
    n = next(_seq)
    person, _ = upsert_person(
        session,
        PersonData(
            code=code or f"P{n:06d}",
            name=f"测试对象{n}",
            area_code=area.code,
            status=status,
            colour=colour,
            id_number=id_number or f"99000019900101{n:04d}",
            phone=f"1990000{n:04d}",
            address=f"测试路{n}号",
            programme_start=date(2025, 1, 6),
            programme_end=date(2028, 1, 5),
        ),
        keys=keys,
        actor=Actor.cli(),
        now=now,
    )
    if worker is not None:
        assign(session, person, worker, CaseRole.responsible)
    return person


def make_record(
    session: Session, person: Person, author: Worker, at: datetime, kind: RecordKind, **fields: Any
) -> Record:
    """A record of `at` about `person`, filed and last changed then unless `fields` say otherwise
    (flushed: its id is set)."""
    filed = {"occurred_at": at, "created_at": at, "updated_at": at}
    record = Record(person_id=person.id, kind=kind, author_id=author.id, **(filed | fields))
    session.add(record)
    session.flush()
    return record

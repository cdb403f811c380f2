"""Which persons an import gives another responsible worker, so their families can be told.

An import may move a person to another worker by naming a different responsible worker on their
row. The families of such persons get the new contact card (the caller queues it in the import's
unit of work); this module finds them: the responsible workers before the writes, compared after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.people import CareAssignment, CaseRole, Person
from models.services.directory.entries import PersonData
from models.services.sql import chunks

Responsible = dict[str, tuple[int, int | None]]  # person code -> (person id, responsible worker id)


@dataclass(frozen=True)
class Reassigned:
    """A person the import gave another responsible worker (their family is to be told)."""

    person_id: int
    old_worker_id: int | None
    new_worker_id: int


def responsible_before(session: Session, items: Sequence[object]) -> Responsible:
    """Before the writes: the responsible worker of every existing person whose row names one."""
    codes = {i.code for i in items if isinstance(i, PersonData) and i.responsible_worker_code}
    return _responsible_by_code(session, codes)


def reassigned_since(session: Session, before: Responsible) -> tuple[Reassigned, ...]:
    """After the writes: the persons whose responsible worker is not the one they had before."""
    after = _responsible_by_code(session, set(before))
    changes = []
    for code, (person_id, old_worker) in sorted(before.items()):
        new_worker = after.get(code, (person_id, None))[1]
        if new_worker is not None and new_worker != old_worker:
            changes.append(Reassigned(person_id, old_worker, new_worker))
    return tuple(changes)


def _responsible_by_code(session: Session, codes: set[str]) -> Responsible:
    wanted = sorted(codes)
    found: Responsible = {}
    for chunk in chunks(wanted):  # a large file stays within the bind-parameter limits
        query = (
            select(Person.code, Person.id, CareAssignment.worker_id)
            .outerjoin(
                CareAssignment,
                (CareAssignment.person_id == Person.id) & (CareAssignment.case_role == CaseRole.responsible),
            )
            .where(Person.code.in_(chunk))
            .order_by(CareAssignment.id)
        )
        for code, person_id, worker_id in session.execute(query):
            found.setdefault(code, (person_id, worker_id))
    return found

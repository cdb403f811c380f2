"""A small city for the reporting tests (imported by them; it holds no tests itself).

T-tree: W-1 (grid worker, user 501) cares for P-MINE with cadre W-C (503), police W-P (504) and
medical W-M (507); W-2 (502) cares for P-OTHER. Supervisors: W-S at the town (505, the nearest
to the grid) and W-S2 at the county (506). U-tree, another city: supervisor W-U (508), grid worker
W-X (509) with P-FAR.
"""

from __future__ import annotations

from datetime import datetime
from itertools import count

from sqlalchemy import select

from bot.db import Database
from handlers.events import Incoming, InKind
from models.audit import AuditEntry
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import CaseRole, Role
from models.records import Record
from models.services.directory.entries import assign
from tests.factories import make_person, make_tree, make_worker
from tests.support.chat import BOT_ID, CoreChat, build_core

USERS = {
    "W-1": 501,
    "W-2": 502,
    "W-C": 503,
    "W-P": 504,
    "W-S": 505,
    "W-S2": 506,
    "W-M": 507,
    "W-U": 508,
    "W-X": 509,
}


_photo_updates = count(900_000)


def city(db: Database, keys: KeyRing, now: datetime) -> dict[str, int]:
    """Build the city; returns person ids by code."""
    with db.unit_of_work() as s:
        tree, other = make_tree(s), make_tree(s, prefix="U")
        made = {
            "W-1": make_worker(s, tree["G1"], code="W-1"),
            "W-2": make_worker(s, tree["G1"], code="W-2"),
            "W-C": make_worker(s, tree["COM"], code="W-C", role=Role.cadre),
            "W-P": make_worker(s, tree["COM"], code="W-P", role=Role.police),
            "W-S": make_worker(s, tree["TOWN"], code="W-S", role=Role.supervisor),
            "W-S2": make_worker(s, tree["CTY"], code="W-S2", role=Role.supervisor),
            "W-M": make_worker(s, tree["G1"], code="W-M", role=Role.medical),
            "W-U": make_worker(s, other["CTY"], code="W-U", role=Role.supervisor),
            "W-X": make_worker(s, other["G1"], code="W-X"),
        }
        for code, worker in made.items():
            worker.telegram_user_id = USERS[code]
        mine = make_person(s, tree["G1"], keys=keys, now=now, worker=made["W-1"], code="P-MINE")
        for code, role in (("W-C", CaseRole.cadre), ("W-P", CaseRole.police), ("W-M", CaseRole.medical)):
            assign(s, mine, made[code], role)
        theirs = make_person(s, tree["G1"], keys=keys, now=now, worker=made["W-2"], code="P-OTHER")
        far = make_person(s, other["G1"], keys=keys, now=now, worker=made["W-X"], code="P-FAR")
        s.flush()
        return {"P-MINE": mine.id, "P-OTHER": theirs.id, "P-FAR": far.id}


def chat_as(db: Database, clock: FrozenClock, worker_code: str) -> CoreChat:
    return CoreChat(build_core(db, clock), USERS[worker_code])


async def tap(chat: CoreChat, label: str) -> None:
    """Press the first button of the last answer whose label contains `label`."""
    await chat.press(chat.button(label))


def outbox(db: Database) -> list[OutboxMessage]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def audits(db: Database, action: str) -> list[AuditEntry]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


async def send_photo(chat: CoreChat, file_id: str) -> None:
    """The user sends a photo (CoreChat has no door for it)."""
    incoming = Incoming(
        BOT_ID, next(_photo_updates), InKind.message, chat.user_id, chat.user_id, photo_file_id=file_id
    )
    chat.last = await chat.core.handle(incoming)


def records(db: Database) -> list[Record]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Record).order_by(Record.id)))

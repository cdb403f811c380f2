"""Two identical small cities for the security tests (imported by them; it holds no tests itself).

Each world (prefix T or U) has one person `<prefix>-P1` with a full care team (grid worker,
cadre, police, medical worker, psychologist, disability assistant), a linked family member, a
second person `<prefix>-P2` of another grid worker in the same grid, a supervisor at the town and
an administrator at the city. Because both worlds are built by the same code, the same script
run in each yields the same button data up to ids: that is how the access walk forges data that
names someone of the other world, a person outside every caller's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text

from bot.db import Database
from handlers.core import Core
from handlers.router import Router
from handlers.setup import build_router
from models.access import Principal
from models.all import metadata
from models.areas import AreaLevel
from models.audit import Actor
from models.clock import Clock
from models.crypto import KeyRing
from models.people import CaseRole, Role
from models.services.directory.entries import AreaData, assign, upsert_area
from models.services.directory.invites import invite_family, redeem
from models.services.family.consent import record_consent
from models.services.identity import resolve
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker
from tests.support.chat import RENDERER

UNLINKED = 600_001

# (account name, role, area level, case role on P1 or None); the name is also the principal shown.
STAFF = (
    ("grid_worker", Role.grid_worker, "G1", CaseRole.responsible),
    ("cadre", Role.cadre, "COM", CaseRole.cadre),
    ("police", Role.police, "COM", CaseRole.police),
    ("medical", Role.medical, "G1", CaseRole.medical),
    ("psychologist", Role.psychologist, "COM", CaseRole.psychologist),
    ("disability_assistant", Role.disability_assistant, "COM", CaseRole.disability_assistant),
    ("colleague", Role.grid_worker, "G1", None),  # same grid, another caseload (P2)
    ("supervisor", Role.supervisor, "TOWN", None),
    ("admin", Role.admin, "CITY", None),
    ("receiver", Role.grid_worker, "G2", None),  # another grid of the community: takes a transfer (ct:)
)
PRINCIPAL = {name: Principal(role.value) for name, role, _, _ in STAFF} | {"family": Principal.family}

# Tables whose rows are bookkeeping of every update, not anybody's records.
BOOKKEEPING = {"audit_log", "processed_updates", "chats", "send_pace", "job_runs"}


@dataclass
class World:
    """One city: Telegram account of each role, and the ids of its two people."""

    prefix: str
    accounts: dict[str, int] = field(default_factory=dict)
    person: int = 0  # <prefix>-P1, the person with the full team and a family
    other_person: int = 0  # <prefix>-P2, in the same grid, of the colleague

    def code(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"


def build_world(db: Database, keys: KeyRing, now: datetime, prefix: str, base: int) -> World:
    """Build one city; Telegram accounts are `base + n`, the family member's is `base + 99`."""
    world = World(prefix)
    with db.unit_of_work() as s:
        tree = make_tree(s, prefix=prefix)
        tree["G2"], _ = upsert_area(s, AreaData(f"{prefix}-G2", "第二网格", AreaLevel.grid, f"{prefix}-COM"))
        made = {}
        for n, (name, role, level, _) in enumerate(STAFF, start=1):
            worker = make_worker(s, tree[level], role=role, code=world.code(f"W-{name}"))
            worker.telegram_user_id = world.accounts[name] = base + n
            made[name] = worker
        p1 = make_person(s, tree["G1"], keys=keys, now=now, worker=made["grid_worker"], code=world.code("P1"))
        for name, _, _, case_role in STAFF[1:]:
            if case_role is not None:
                assign(s, p1, made[name], case_role)
        p2 = make_person(s, tree["G1"], keys=keys, now=now, worker=made["colleague"], code=world.code("P2"))
        s.flush()
        world.person, world.other_person = p1.id, p2.id
    invite = db.call(invite_family, world.code("P1"), "母亲", actor=Actor.cli(), now=now)
    world.accounts["family"] = base + 99
    db.call(redeem, invite.code, base + 99, now=now)
    db.call(record_consent, db.call(resolve, base + 99), now=now)  # the privacy notice, agreed
    return world


def make_core(db: Database, clock: Clock, router: Router | None = None) -> Core:
    """The neutral core on this database, with a router the test may have wrapped."""
    return Core(
        router=router or build_router(),
        renderer=RENDERER,  # shared: it only caches (tests/support/chat.py)
        clock=clock,
        run_unit=db.run,
        keys=KeyRing.parse(TEST_KEYS),
    )


def snapshot(db: Database, *, skip: set[str] = BOOKKEEPING) -> dict[str, list[tuple]]:
    """Every row of every table but bookkeeping, sorted: what a refused request must not change."""
    with db.unit_of_work() as s:
        return {
            table.name: sorted(map(tuple, s.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
            if table.name not in skip
        }


def count_rows(db: Database, table: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0

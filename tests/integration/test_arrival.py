"""What every update reads first (models.services.identity.arrive): who is writing, as `resolve`
says, and the chat's chosen language; the chat gets a row on first contact and is marked reachable
again when its owner writes. A worker in a known chat costs one statement."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select

from models.access import Principal
from models.chat import Chat
from models.crypto import KeyRing
from models.people import FamilyMember
from models.services.identity import arrive, resolve
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
WORKER, AWAY, FAMILY, STRANGER = 501, 502, 503, 504


def test_arrival_is_resolve_and_the_chat_s_row_in_one_read(db) -> None:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"])
        worker.telegram_user_id, worker.locale = WORKER, "en"
        away = make_worker(s, tree["G1"])
        away.telegram_user_id, away.active = AWAY, False
        person = make_person(s, tree["G1"], keys=KeyRing.parse(TEST_KEYS), now=NOW)
        s.add(FamilyMember(person_id=person.id, relation="母亲", telegram_user_id=FAMILY, verified=True))
        s.add(Chat(chat_id=WORKER, locale="zh_CN", failed_codes=0, unreachable=True, created_at=NOW))
    kinds = []
    for account in (WORKER, AWAY, FAMILY, STRANGER):
        with db.unit_of_work() as s:
            who, chosen = arrive(s, account, account, now=NOW)
            assert who == resolve(s, account), account
            assert chosen == ("zh_CN" if account == WORKER else None)
            kinds.append(who.principal)
    assert kinds == [Principal.grid_worker, Principal.unlinked, Principal.family, Principal.unlinked]
    with db.unit_of_work() as s:
        chats = {c.chat_id: c.unreachable for c in s.scalars(select(Chat))}
    assert chats == dict.fromkeys((WORKER, AWAY, FAMILY, STRANGER), False)  # rows made; WORKER unblocked

    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.unit_of_work() as s:
            who, chosen = arrive(s, WORKER, WORKER, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert who.worker_id == worker.id and who.locale == "en" and chosen == "zh_CN"
    assert (
        len([st for st in statements if st.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE"))]) == 1
    )

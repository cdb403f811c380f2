"""Issue 17.6: a sealed value opens only in the row it was sealed for.

The attack: with write access to the database, copy person A's sealed phone (or ID number) over
person B's; B's card and export then showed A's number as B's. Values are now bound to their
table, field and row id (AES-GCM associated data), and migration 0013 re-seals the values written
before it, which must open during and after the upgrade.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bot.config import ConfigError
from bot.migrate import upgrade
from models.crypto import KeyRing, Slot, WrongKey
from models.people import Person, Role
from models.policy import Policy
from models.sealing import KeyCheck, open_field
from models.services.cards import person_card
from models.services.identity import resolve
from models.services.keys import SEALED
from tests.conftest import BACKENDS, PG_URL
from tests.factories import make_person, make_tree, make_worker

RAW_T1 = b"k" * 32  # the key of TEST_KEYS
WRONG_T1 = "t1:" + base64.urlsafe_b64encode(b"w" * 32).decode()


def _copy(db, column: str, from_id: int, to_id: int) -> None:
    with db.engine.begin() as conn:
        value = conn.scalar(text(f"SELECT {column} FROM persons WHERE id = :id"), {"id": from_id})
        conn.execute(text(f"UPDATE persons SET {column} = :v WHERE id = :id"), {"v": value, "id": to_id})


def test_a_phone_copied_to_another_persons_row_does_not_open_there(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        admin = make_worker(s, tree["CITY"], role=Role.admin, code="W-ADMIN")
        a = make_person(s, tree["G1"], keys=keys, now=now)
        b = make_person(s, tree["G1"], keys=keys, now=now)
        a_id, b_id, a_phone = a.id, b.id, open_field(keys, a, "phone")
        admin.telegram_user_id = 900
    _copy(db, "phone_enc", a_id, b_id)
    _copy(db, "id_number_enc", a_id, b_id)
    with db.unit_of_work() as s:
        b = s.get(Person, b_id)
        with pytest.raises(WrongKey, match=f"persons.phone id={b_id}"):
            open_field(keys, b, "phone")
        card = person_card(s, resolve(s, 900), b_id, now=now, today=now.date(), policy=Policy(), keys=keys)
    assert card is not None and card.phone is None  # unavailable, not A's number
    assert a_phone not in str(card)


def test_a_value_sealed_for_one_column_does_not_open_in_another_of_the_same_row(keys):
    token = keys.seal("19900001234", Slot("persons", "phone", 5))
    for elsewhere in (Slot("persons", "address", 5), Slot("family_members", "phone", 5)):
        with pytest.raises(WrongKey):
            keys.open(token, elsewhere)


# --- the migration -------------------------------------------------------------------------------


def _seal_unbound(plaintext: str, field: str, raw: bytes = RAW_T1, kid: str = "t1") -> bytes:
    """A value as Gridcare sealed it before 0013: format 1, bound to its field only."""
    header = b"\x01" + bytes([len(kid)]) + kid.encode()
    nonce = os.urandom(12)
    return header + nonce + AESGCM(raw).encrypt(nonce, plaintext.encode(), header + field.encode())


@pytest.fixture(params=BACKENDS)
def at_0011(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database at revision 0011 holding two persons, a family member and a tip sealed the old way."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        admin = None
    else:
        assert PG_URL is not None
        name = f"gridcare_old_{uuid.uuid4().hex[:10]}"
        admin = create_engine(
            make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url, "0011")
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg") if admin else url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO areas (id, code, name, level, path) VALUES (1, 'A', '社区', 'community', '/1/')"
            )
        )
        for pid, phone in ((1, "19900000001"), (2, "19900000002")):
            conn.execute(
                text(
                    "INSERT INTO persons (id, code, name, initials, area_id, status, colour, created_at,"
                    " updated_at, id_number_enc, phone_enc, address_enc) VALUES (:id, :code, '某人', 'MR',"
                    " 1, 'community_detox', 'blue', :t, :t, :n, :p, NULL)"
                ),
                {
                    "id": pid,
                    "code": f"P-{pid}",
                    "t": "2026-03-04 02:00:00+00:00",
                    "n": _seal_unbound(f"99000019900101000{pid}", "id_number"),
                    "p": _seal_unbound(phone, "phone"),
                },
            )
        conn.execute(
            text(
                "INSERT INTO family_members (id, person_id, relation, name_enc, verified, active)"
                " VALUES (1, 1, '母亲', :n, false, true)"
            ),
            {"n": _seal_unbound("某母", "name")},
        )
        conn.execute(
            text("INSERT INTO tips (id, area_id, tipster_enc, text, created_at) VALUES (1, 1, :s, 't', :t)"),
            {"s": _seal_unbound('{"telegram_user_id": 4242}', "tipster"), "t": "2026-03-04 02:00:00+00:00"},
        )
    engine.dispose()
    yield url
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _values(url: str) -> dict[tuple[str, int], bytes]:
    engine = create_engine(
        make_url(url).set(drivername="postgresql+psycopg") if url.startswith("postgresql") else url
    )
    values = {}
    with engine.connect() as conn:
        for sealed in SEALED:
            for row_id, token in conn.execute(select(sealed.table.c.id, sealed.table.c[sealed.column])):
                if token is not None:
                    values[(sealed.label, row_id)] = bytes(token)
    engine.dispose()
    return values


def test_the_upgrade_reseals_old_values_for_their_rows_and_pins_the_key(at_0011, keys):
    upgrade(at_0011, keys=keys)
    opened = {}
    for sealed in SEALED:
        for (label, row_id), token in _values(at_0011).items():
            if label == sealed.label:
                opened[(label, row_id)] = keys.open(token, sealed.slot(row_id))
    assert opened == {
        ("persons.id_number_enc", 1): "990000199001010001",
        ("persons.id_number_enc", 2): "990000199001010002",
        ("persons.phone_enc", 1): "19900000001",
        ("persons.phone_enc", 2): "19900000002",
        ("family_members.name_enc", 1): "某母",
        ("tips.tipster_enc", 1): '{"telegram_user_id": 4242}',
    }
    phone_of_1 = _values(at_0011)[("persons.phone_enc", 1)]
    with pytest.raises(WrongKey):  # bound now: person 1's phone does not open as person 2's
        keys.open(phone_of_1, Slot("persons", "phone", 2))
    engine = create_engine(
        make_url(at_0011).set(drivername="postgresql+psycopg")
        if at_0011.startswith("postgresql")
        else at_0011
    )
    with engine.connect() as conn:
        checks = conn.execute(select(KeyCheck.kid, KeyCheck.check_value)).all()
    engine.dispose()
    assert [kid for kid, _ in checks] == ["t1"] and keys.matches("t1", checks[0][1])


@pytest.mark.parametrize("ring", [None, WRONG_T1], ids=["no key", "another key named t1"])
def test_the_upgrade_without_the_right_key_changes_nothing_and_can_be_run_again(at_0011, keys, ring):
    before = _values(at_0011)
    with pytest.raises(ConfigError, match="GRIDCARE_SECRET_KEY" if ring is None else "'t1'"):
        upgrade(at_0011, keys=None if ring is None else KeyRing.parse(ring))
    assert _values(at_0011) == before
    upgrade(at_0011, keys=keys)  # then, with the right key, it goes through
    assert len(_values(at_0011)) == len(before)

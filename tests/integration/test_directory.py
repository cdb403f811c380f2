"""The directory: areas, workers, persons, colour history, sensitive fields sealed at rest."""

from __future__ import annotations

from sqlalchemy import select, text

from models.areas import Area, within
from models.audit import AuditEntry
from models.people import Colour, ColourChange, Person
from models.sealing import open_field
from tests.factories import make_person, make_tree, make_worker


def test_subtree_query_finds_descendants_and_not_siblings(db, keys, now):
    with db.unit_of_work() as s:
        make_tree(s, prefix="A")
        make_tree(s, prefix="AB")  # a code that shares a prefix must not leak in
    with db.unit_of_work() as s:
        county = s.scalar(select(Area).where(Area.code == "A-CTY"))
        codes = s.scalars(select(Area.code).where(within(Area.path, county.path)).order_by(Area.path)).all()
    assert codes == ["A-CTY", "A-TOWN", "A-COM", "A-G1"]


def test_sensitive_fields_are_ciphertext_in_the_database(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        make_person(s, tree["G1"], keys=keys, now=now, id_number="990000199001011234")
    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT id_number_enc, phone_enc, address_enc FROM persons")).one()
    assert all(b"1234" not in bytes(value) and b"99000019" not in bytes(value) for value in raw)
    with db.unit_of_work() as s:
        person = s.scalar(select(Person))
        assert open_field(keys, person, "id_number") == "990000199001011234"


def test_colour_change_is_kept_with_reason_and_person_write_is_audited(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        make_worker(s, tree["G1"])
        make_person(s, tree["G1"], keys=keys, now=now, colour=Colour.blue, code="P-1")
    with db.unit_of_work() as s:
        make_person(s, tree["G1"], keys=keys, now=now, colour=Colour.orange, code="P-1")
    with db.unit_of_work() as s:
        changes = s.execute(
            select(ColourChange.from_colour, ColourChange.to_colour).order_by(ColourChange.id)
        ).all()
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "person")).all()
    assert changes == [(None, Colour.blue), (Colour.blue, Colour.orange)]
    assert actions == ["create", "update"]


def test_audit_log_cannot_be_changed_or_deleted(db, keys, now):
    import pytest
    from sqlalchemy.exc import DBAPIError

    with db.unit_of_work() as s:
        tree = make_tree(s)
        make_person(s, tree["G1"], keys=keys, now=now)
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.unit_of_work() as s:
        assert s.scalar(select(AuditEntry.action)) == "create"

"""Sensitive fields at rest: never stored in plaintext, and re-sealed under a new key without downtime."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from bot.demo import generate_demo_city
from models.crypto import KeyRing, Slot
from models.family import Tip
from models.people import Person
from models.sealing import seal_fields
from models.services.keys import SEALED, pending, rotate_keys
from tests.factories import TEST_KEYS, make_person, make_tree

NEW = "k2:" + base64.urlsafe_b64encode(b"n" * 32).decode()
OLD_AND_NEW = f"{NEW},{TEST_KEYS}"


def _city(db, keys, now, persons: int = 100) -> None:
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=persons, seed=5, keys=keys, now=now)
        tree = make_tree(s)
        make_person(s, tree["G1"], keys=keys, now=now, code="P-FACTORY")
        tip = Tip(area_id=tree["G1"].id, text="t", created_at=now)
        s.add(tip)
        seal_fields(s, keys, tip, {"tipster": "777000111"})


def _plaintexts(db, keys: KeyRing) -> dict[tuple[str, int, str], str]:
    """Every sealed value in the database, opened: (column, row id, field) → plaintext."""
    values = {}
    with db.unit_of_work() as s:
        for sealed in SEALED:
            for row_id, token in s.execute(select(sealed.table.c.id, sealed.table.c[sealed.column])):
                if token is not None:
                    opened = keys.open(bytes(token), sealed.slot(row_id))
                    values[(sealed.label, row_id, sealed.field)] = opened
    return values


def _raw_database_bytes(db) -> bytes:
    """SQLite: the database file and its WAL, byte for byte. PostgreSQL: every row of every table as text."""
    if db.is_sqlite:
        path = Path(make_url(db.url).database)
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    engine = create_engine(make_url(db.url).set(drivername="postgresql+psycopg"))
    chunks = []
    with engine.connect() as conn:
        tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).all()
        for table in tables:
            # row_to_json renders every column; bytea comes out as hex, so both forms are searched below.
            rows = conn.scalars(text(f'SELECT row_to_json(t)::text FROM "{table}" t')).all()
            chunks.extend(row.encode() for row in rows)
    engine.dispose()
    return b"\n".join(chunks)


def _found(haystack: bytes, needle: str) -> bool:
    raw = needle.encode()
    return raw in haystack or raw.hex().encode() in haystack


def test_generated_id_numbers_and_phones_are_nowhere_in_the_database_in_plaintext(db, keys, now):
    _city(db, keys, now)
    values = _plaintexts(db, keys)
    secrets = {v for (_, _, field), v in values.items() if field in ("id_number", "phone")}
    assert len(secrets) >= 200
    raw = _raw_database_bytes(db)
    with db.unit_of_work() as s:
        names = s.scalars(select(Person.name).limit(5)).all()
    assert all(_found(raw, name) for name in names)  # the scan does see plaintext where it is stored
    assert [v for v in secrets if _found(raw, v)] == []


def test_after_rotation_a_ring_with_only_the_new_key_opens_every_value(db, keys, now):
    _city(db, keys, now)
    before = _plaintexts(db, keys)
    report = rotate_keys(db.call, KeyRing.parse(OLD_AND_NEW), batch_size=40)
    assert report.finished and report.resealed == len(before)
    assert _plaintexts(db, KeyRing.parse(NEW)) == before


def test_rotating_twice_changes_nothing_the_second_time(db, keys, now):
    _city(db, keys, now, persons=20)
    ring = KeyRing.parse(OLD_AND_NEW)
    rotate_keys(db.call, ring)
    with db.unit_of_work() as s:
        tokens = s.execute(select(Person.id, Person.phone_enc).order_by(Person.id)).all()
    again = rotate_keys(db.call, ring)
    assert (again.resealed, again.batches, again.finished) == (0, 0, True)
    with db.unit_of_work() as s:
        assert s.execute(select(Person.id, Person.phone_enc).order_by(Person.id)).all() == tokens


def test_an_interrupted_rotation_resumes_where_it_stopped(db, keys, now):
    _city(db, keys, now, persons=30)
    before = _plaintexts(db, keys)
    ring = KeyRing.parse(OLD_AND_NEW)
    first = rotate_keys(db.call, ring, batch_size=10, max_batches=1)
    assert not first.finished and first.resealed == 30  # ten persons, three fields each
    left = sum(db.call(pending, ring).values())
    assert left == len(before) - 30
    rest = rotate_keys(db.call, ring, batch_size=10)
    assert rest.finished and rest.resealed == left
    assert sum(db.call(pending, ring).values()) == 0
    assert _plaintexts(db, KeyRing.parse(NEW)) == before


@dataclass(frozen=True)
class _RingWithAConcurrentEdit(KeyRing):
    """Opens values like the ring it copies; on the first open, another connection edits one phone."""

    url: str = ""
    person_id: int = 0

    def open(self, token, slot):  # type: ignore[no-untyped-def]
        if slot.field == "phone" and not _EDITED:
            _EDITED.append(True)
            engine = create_engine(_sync_url(self.url))
            with engine.begin() as conn:
                # a bot already on the new ring
                edit = KeyRing.parse(NEW).seal("19900009999", Slot("persons", "phone", self.person_id))
                conn.execute(update(Person).where(Person.id == self.person_id).values(phone_enc=edit))
            engine.dispose()
        return super().open(token, slot)


_EDITED: list[bool] = []


def _sync_url(url: str) -> str:
    parsed = make_url(url)
    return (
        parsed.set(drivername="postgresql+psycopg").render_as_string(False)
        if parsed.drivername == "postgresql"
        else url
    )


def test_a_phone_edited_while_its_row_is_rotated_keeps_the_edit(db, keys, now):
    with db.unit_of_work() as s:
        person = make_person(s, make_tree(s)["G1"], keys=keys, now=now, code="P-EDIT")
        person_id = person.id
    _EDITED.clear()
    ring = _RingWithAConcurrentEdit(KeyRing.parse(OLD_AND_NEW).keys, url=db.url, person_id=person_id)
    report = rotate_keys(db.call, ring)
    assert report.conflicts == 1 and report.finished
    with db.unit_of_work() as s:
        phone = s.scalar(select(Person.phone_enc).where(Person.id == person_id))
    assert KeyRing.parse(NEW).open(phone, Slot("persons", "phone", person_id)) == "19900009999"
    assert sum(db.call(pending, ring).values()) == 0


def test_the_cli_rotates_and_then_reports_nothing_left(db, keys, now, monkeypatch, tmp_path):
    _city(db, keys, now, persons=10)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", OLD_AND_NEW)
    runner = CliRunner()
    assert runner.invoke(app, ["keys", "status"]).exit_code == 1
    rotated = runner.invoke(app, ["keys", "rotate", "--batch-size", "4"])
    assert rotated.exit_code == 0, rotated.output
    assert "older keys can now be removed" in rotated.output
    status = runner.invoke(app, ["keys", "status"])
    assert status.exit_code == 0, status.output


def test_rotation_refuses_when_a_value_is_under_a_key_the_ring_lacks(db, keys, now, monkeypatch, tmp_path):
    _city(db, keys, now, persons=5)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", NEW)  # the old key forgotten
    result = CliRunner().invoke(app, ["keys", "rotate"])
    assert result.exit_code == 1 and "lacks" in result.output
    assert _plaintexts(db, keys)  # nothing was touched: the old ring still opens everything

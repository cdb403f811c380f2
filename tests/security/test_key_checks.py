"""Issue 17.2: a wrong key that calls itself by a right key's id writes nothing and says so.

The attack: values sealed under `t1`; a process started with a fresh key also named `t1` imported
persons without a word, and afterwards neither key opened those rows (export and rotation failed
with InvalidTag). Now each key id has a check value in the database, verified at start-up and
before anything is sealed; a ring naming one id twice is refused; `keys status` opens a sample.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from bot.cli import app
from models.audit import Actor
from models.crypto import CryptoError, KeyRing
from models.people import Person
from models.sealing import KeyCheck, KeyMismatch, check_ring, open_field
from models.services.directory.entries import PersonData, upsert_person
from tests.factories import TEST_KEYS, make_person, make_tree

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IMPOSTOR = "t1:" + base64.urlsafe_b64encode(b"i" * 32).decode()  # a fresh key that calls itself t1
runner = CliRunner()


@pytest.fixture
def cli(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)

    def run(*args: str, key: str = TEST_KEYS, code: int = 0) -> str:
        monkeypatch.setenv("GRIDCARE_SECRET_KEY", key)
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    return run


def _opened(db, keys: KeyRing) -> list[str | None]:
    with db.unit_of_work() as s:
        return [open_field(keys, p, "phone") for p in s.scalars(select(Person).order_by(Person.id))]


def test_a_key_ring_naming_one_id_twice_is_refused(db, cli):
    a = "k1:" + base64.urlsafe_b64encode(b"a" * 32).decode()
    b = "k1:" + base64.urlsafe_b64encode(b"b" * 32).decode()
    with pytest.raises(CryptoError, match="'k1' is given twice"):
        KeyRing.parse(f"{a},{b}")
    out = cli("keys", "status", key=f"{a},{b}", code=1)
    assert "'k1' is given twice" in out and "Traceback" not in out


def test_an_import_under_another_key_with_the_same_id_is_refused_and_writes_nothing(db, keys, cli):
    cli("import", "areas", str(EXAMPLES / "areas.csv"))
    cli("import", "workers", str(EXAMPLES / "workers.csv"))
    cli("import", "persons", str(EXAMPLES / "persons.xlsx"))
    before = _opened(db, keys)
    out = cli("import", "persons", str(EXAMPLES / "persons.xlsx"), key=IMPOSTOR, code=1)
    line = " ".join(out.split())
    assert "key 't1'" in line and "not the key 't1'" in line and "Traceback" not in out
    assert _opened(db, keys) == before  # every row still opens under the right key
    cli("keys", "rotate")  # and rotation still works
    cli("export", "persons", "--area", "EX-CITY", "--with-sensitive", "-o", "out.xlsx")


def test_a_wrong_key_is_refused_before_it_seals_in_a_process_already_running(db, keys, now):
    """The check is made again by the unit of work that seals (e.g. a restore under a running bot)."""
    with db.unit_of_work() as s:
        make_person(s, make_tree(s)["G1"], keys=keys, now=now, code="P-RIGHT")
    impostor = KeyRing.parse(IMPOSTOR)
    with pytest.raises(KeyMismatch, match="'t1'"), db.unit_of_work() as s:
        data = PersonData("P-NEW", "新人", "T-G1", "community_detox", "blue", phone="19900001111")
        upsert_person(s, data, keys=impostor, actor=Actor.cli(), now=now)
    with db.unit_of_work() as s:
        assert s.scalars(select(Person.code)).all() == ["P-RIGHT"]


def test_the_first_process_to_use_a_key_id_pins_it_and_another_key_with_that_id_is_refused(db):
    db.call(check_ring, KeyRing.parse(IMPOSTOR))  # an empty database: the first key named t1 wins
    with pytest.raises(KeyMismatch, match="'t1'"):
        db.call(check_ring, KeyRing.parse(TEST_KEYS))
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(KeyCheck)) == 1


def test_keys_status_opens_a_sample_and_names_the_rows_that_do_not_open(db, keys, now, cli):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        people = [make_person(s, tree["G1"], keys=keys, now=now) for _ in range(5)]
        ids = [p.id for p in people]
    assert "failed" in cli("keys", "status", "--sample", "100")
    with db.engine.begin() as conn:  # one value damaged in place (as a wrong key would have left it)
        token = bytearray(conn.scalar(text("SELECT phone_enc FROM persons WHERE id = :id"), {"id": ids[2]}))
        token[-1] ^= 1
        damaged = {"t": bytes(token), "id": ids[2]}
        conn.execute(text("UPDATE persons SET phone_enc = :t WHERE id = :id"), damaged)
    out = cli("keys", "status", "--sample", "100", code=1)
    assert "persons.phone_enc: 1 value(s) do not open" in " ".join(out.split())
    assert f"ids {ids[2]})" in out

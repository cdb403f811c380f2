"""Logs carry ids, never names, phones, ID numbers or message texts, even when an update fails."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
import structlog
from sqlalchemy.exc import IntegrityError

import handlers.core
from bot.logs import REDACTED, configure_logging
from handlers.events import Incoming, InKind
from models.audit import Actor
from models.clock import FrozenClock
from models.sealing import open_field
from models.services.directory.invites import invite_worker
from tests.factories import make_person, make_tree, make_worker
from tests.support.chat import BOT_ID, CoreChat, build_core


@pytest.fixture
def logs(capsys, caplog):
    """Everything logged so far: stdout, stderr and the records the logging module saw."""
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    streams: list[str] = []

    def captured() -> str:
        out, err = capsys.readouterr()
        streams.append(out + err)
        return "".join(streams) + caplog.text + "\n".join(str(r.msg) for r in caplog.records)

    yield captured
    configure_logging("INFO")


def _fail_once(monkeypatch, note: str) -> None:
    """The next update fails the way a database error would: the statement's values in the message."""
    real = handlers.core.begin_update
    failed: list[bool] = []

    def begin_update(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append(True)
            raise IntegrityError(
                "INSERT INTO records (notes) VALUES (?)", (note,), Exception("UNIQUE failed")
            )
        return real(session, *args, **kwargs)

    monkeypatch.setattr(handlers.core, "begin_update", begin_update)


async def test_a_full_chat_scenario_logs_no_names_phones_id_numbers_or_texts(
    db, keys, now, logs, monkeypatch
):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"], code="W-1")
        person = make_person(s, tree["G1"], keys=keys, now=now, worker=worker, code="P-1")
        secrets = [person.name, open_field(keys, person, "phone"), worker.name]
        secrets.append(open_field(keys, person, "id_number"))
    note = f"{secrets[0]} 电话 {secrets[1]}，本周情况稳定"
    invite = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now)
    core = build_core(db, FrozenClock(now))
    chat = CoreChat(core, 501)
    await chat.say(f"/start {invite.code}")
    # Telegram's profile name travels with every update; here it is the person's own name.
    profile = Incoming(BOT_ID, 90_001, InKind.message, 501, 501, first_name=secrets[0], text="/my")
    await core.handle(profile)
    await chat.say("/my")
    await chat.say("/note")
    await chat.press(chat.button("P-1"))
    _fail_once(monkeypatch, note)
    failed = await chat.say(note, update_id=90_002)
    assert failed and "update_failed" in logs()  # the failure was logged, with its traceback
    await chat.say(note, update_id=90_002)  # Telegram redelivers the update; now it goes through
    confirm = chat.button("确认")
    await chat.say(note, update_id=90_002)  # and once more: a duplicate, logged by id only
    await chat.press(confirm)
    await core.handle(replace(profile, update_id=90_003, text=note))
    captured = logs()
    assert "update_duplicate" in captured
    leaked = [secret for secret in [*secrets, note] if secret in captured]
    assert leaked == []


def test_sensitive_keys_are_redacted_at_any_depth(logs):
    log = structlog.get_logger("gridcare.test")
    log.info(
        "relayed", update_id=7, text="我看到他又和那些朋友在一起", sender={"first_name": "王演华", "id": 9}
    )
    log.warning("imported", rows=[{"phone": "19900001234", "address": "演示路1号"}])
    captured = logs()
    assert "update_id=7" in captured and "'id': 9" in captured
    assert captured.count(REDACTED) >= 4
    assert not any(s in captured for s in ("朋友", "王演华", "19900001234", "演示路1号"))


def test_database_errors_lose_their_values_and_tracebacks_their_locals(logs):
    phone = "19900004321"
    try:
        raise IntegrityError(
            "UPDATE persons SET phone_enc=?", (phone,), Exception(f"Key (phone)=({phone}) exists")
        )
    except IntegrityError:
        structlog.get_logger("gridcare.test").exception("write_failed", person_id=3)
        logging.getLogger("sqlalchemy.engine").exception("stdlib side")
    captured = logs()
    assert "write_failed" in captured and "person_id=3" in captured and "IntegrityError" in captured
    assert phone not in captured

"""The report use case on its own (models.services.reporting.filing), with a notifier that records what
it is asked to send: only the call that creates the record tells anyone, under keys naming the
record and the recipient, and the morning list is ticked off once. (The outbox would also drop a
repeated key; this checks the service never asks twice, which the chat tests cannot see.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.records import RecordKind
from models.services.identity import resolve
from models.services.reporting.filing import file_report, void_report
from models.services.reporting.records import NewRecord
from tests.integration.test_reports_support import USERS, city


@dataclass
class RecordingNotifier:
    """A Notifier (models.services.notify) that keeps what it was asked, and queues nothing."""

    sent: list[tuple[int, str, str]] = field(default_factory=list)  # chat, template, dedupe key
    ticked: list[int] = field(default_factory=list)

    def notify(
        self, chat_id: int, template: str, *, purpose: str, dedupe_key: str, **rest: Any
    ) -> int | None:
        self.sent.append((chat_id, template, dedupe_key))
        return len(self.sent)

    def tick_off(self, person_id: int) -> int:
        self.ticked.append(person_id)
        return 0


def _positive(person_id: int, now: datetime) -> NewRecord:
    return NewRecord(
        person_id=person_id,
        kind=RecordKind.drug_test,
        subkind="urine",
        result="positive",
        occurred_at=now,
        details={"method": "rapid_kit", "substances": ["methamphetamine"], "routine": False},
    )


def test_a_positive_test_tells_each_recipient_once_and_a_replay_tells_nobody(db, keys, now):
    person = city(db, keys, now)["P-MINE"]
    notifier = RecordingNotifier()
    with db.unit_of_work() as s:
        who = resolve(s, USERS["W-1"])
        first = file_report(s, notifier, who, _positive(person, now), now=now, idempotency_key="k1")
        again = file_report(s, notifier, who, _positive(person, now), now=now, idempotency_key="k1")
    assert first.filed.created and not again.filed.created and again.alerted is None
    assert first.alerted is not None
    expected = [
        (r.chat_id, "reports/alert_test", f"report-alert:{first.filed.id}:{r.worker_id}")
        for r in first.alerted.reached
    ]
    assert sorted(notifier.sent) == sorted(expected)  # each once: the replay asked for nothing
    assert {chat for chat, _, _ in notifier.sent} == {USERS["W-C"], USERS["W-P"], USERS["W-S"]}
    assert notifier.ticked == [person]


def test_voiding_an_alerting_record_retracts_it_to_the_same_people(db, keys, now):
    person = city(db, keys, now)["P-MINE"]
    notifier = RecordingNotifier()
    with db.unit_of_work() as s:
        who = resolve(s, USERS["W-1"])
        filed = file_report(s, notifier, who, _positive(person, now), now=now, idempotency_key="k1")
        alerted = {chat for chat, _, _ in notifier.sent}
        notifier.sent.clear()
        void_report(s, notifier, who, filed.filed.id, "mistake", now=now)
    assert {chat for chat, _, _ in notifier.sent} == alerted
    assert all(t == "reports/alert_retracted" for _, t, _ in notifier.sent)
    assert all(key.startswith(f"report-retract:{filed.filed.id}:") for _, _, key in notifier.sent)

"""The card's last visit and last test: the latest of their kind not voided, whether or not it is
among the card's five recent records (which are read first and searched before asking again); the
card's, the history's and a record's authors, and the card's area by name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.people import Role
from models.policy import Policy
from models.records import RecordKind
from models.services.cards import RECENT, person_card, person_history, record_view
from models.services.identity import resolve
from tests.factories import make_person, make_record, make_tree, make_worker


def _card_with(db, keys, now, history: list[tuple[RecordKind, bool]]):
    """A card of a person whose records are `history` (kind, voided), oldest first, a day apart."""
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"], role=Role.grid_worker)
        worker.telegram_user_id = 4242
        person = make_person(s, tree["G1"], keys=keys, now=now, worker=worker)
        start = now - timedelta(days=len(history) + 1)
        for n, (kind, voided) in enumerate(history):
            at = start + timedelta(days=n)
            make_record(s, person, worker, at, kind, voided=voided, details={"n": n})
        person_id = person.id
    with db.unit_of_work() as s:
        card = person_card(s, resolve(s, 4242), person_id, now=now, today=now.date(), policy=Policy())
    assert card is not None
    return card


VISIT, TEST, NOTE = RecordKind.visit, RecordKind.drug_test, RecordKind.note


@pytest.mark.parametrize(
    ("history", "visit_n", "test_n"),
    [
        # both among the recent records
        ([(VISIT, False), (TEST, False), (NOTE, False)], 0, 1),
        # the latest visit voided: the one before it, older than the recent records
        ([(VISIT, False)] + [(NOTE, False)] * (RECENT - 1) + [(VISIT, True)], 0, None),
        # older than the recent records, found by asking the database
        ([(TEST, False), (VISIT, False)] + [(NOTE, False)] * RECENT, 1, 0),
        # fewer records than the recent ones hold, none of a kind: none
        ([(NOTE, False), (VISIT, True)], None, None),
    ],
)
def test_the_last_visit_and_test_are_the_latest_not_voided(db, keys, now, history, visit_n, test_n):
    card = _card_with(db, keys, now, history)
    assert (card.last_visit and card.last_visit.details["n"]) == visit_n
    assert (card.last_test and card.last_test.details["n"]) == test_n
    assert [r.details["n"] for r in card.recent] == list(range(len(history)))[::-1][:RECENT]


def test_the_card_the_history_and_a_record_name_the_author_and_whom_they_covered(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        away = make_worker(s, tree["G1"], role=Role.grid_worker)
        cover = make_worker(s, tree["G1"], role=Role.grid_worker)
        cover.telegram_user_id = 4343
        person = make_person(s, tree["G1"], keys=keys, now=now, worker=cover)
        own = make_record(s, person, cover, now - timedelta(days=2), NOTE, notes="own")
        lent = make_record(
            s, person, cover, now - timedelta(days=1), VISIT, on_behalf_of=away.id, place="家中"
        )
        person_id, ids, names = person.id, (lent.id, own.id), (cover.name, away.name)
        area = (tree["G1"].name, tree["G1"].code)
    with db.unit_of_work() as s:
        who = resolve(s, 4343)
        card = person_card(s, who, person_id, now=now, today=now.date(), policy=Policy())
        history = person_history(s, who, person_id, now=now)
        one = record_view(s, ids[0])
    assert card is not None and history is not None and one is not None
    assert card.area == area[0] != area[1]  # the person's area by its name
    expected = [(ids[0], "visit", *names, "家中"), (ids[1], "note", names[0], None, None)]
    for views in (card.recent, history.records):
        assert [(r.id, r.kind, r.author, r.on_behalf_of, r.place) for r in views] == expected
    assert (one.author, one.on_behalf_of, one.notes) == (*names, None)
    assert card.last_visit == one

"""The form a chat is filling in, as stored: saved, loaded, and cleared for that chat alone."""

from __future__ import annotations

from models.services.conversations import clear_dialog, load_dialog, new_dialog, save_dialog


def test_clearing_a_chats_form_leaves_other_chats_forms(db, now):
    with db.unit_of_work() as session:
        for chat_id in (1, 2):
            save_dialog(session, new_dialog(chat_id, "note", "text", {"person": "5"}, now=now), now=now)
    db.call(clear_dialog, 1)
    with db.unit_of_work() as session:
        assert load_dialog(session, 1) is None
        kept = load_dialog(session, 2)
        assert kept is not None and kept.data == {"person": "5"}


def test_clearing_a_chat_without_a_form_does_nothing(db, now):
    db.call(clear_dialog, 3)
    assert db.call(load_dialog, 3) is None


def test_the_engines_bookkeeping_is_kept_beside_the_answers_and_comes_back(db, now):
    state = new_dialog(7, "visit", "kind", {"person": "5"}, now=now)
    state.history, state.offered, state.revisit = ["person"], ["routine", "home"], True
    db.call(save_dialog, state, now=now)
    loaded = db.call(load_dialog, 7)
    assert loaded is not None and loaded.data == {"person": "5"}
    assert (loaded.history, loaded.offered, loaded.revisit) == (["person"], ["routine", "home"], True)
    assert loaded.run_id == state.run_id and loaded.key == f"7:{state.run_id}"


def test_each_run_of_a_form_saves_under_a_key_of_its_own(now):
    first, second = (new_dialog(7, "note", "text", {}, now=now) for _ in range(2))
    assert first.key != second.key
    first.run_id = None  # a draft begun before runs were named: keyed by its nonce, as it was then
    assert first.key == f"7:{first.nonce}"

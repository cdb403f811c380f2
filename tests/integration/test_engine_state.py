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

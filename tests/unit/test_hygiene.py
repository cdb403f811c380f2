"""/forget's id ranges and the outbox's delete payload, without I/O."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.app import policy_from
from bot.config import Settings
from handlers.hygiene import DELETE_BATCH, FORGET_SPAN, forget_batches
from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer


def test_forget_asks_for_every_id_below_the_command_back_to_the_span_in_batches_of_100():
    batches = forget_batches(1500)
    assert all(1 <= len(batch) <= DELETE_BATCH for batch in batches)
    asked = [i for batch in batches for i in batch]
    assert sorted(asked) == list(range(1500 - FORGET_SPAN, 1500))
    assert len(asked) == len(set(asked))
    assert batches[0][-1] == 1499  # the newest first


def test_forget_in_a_young_chat_stops_at_the_first_message():
    assert forget_batches(5) == [(1, 2, 3, 4)]
    assert [len(b) for b in forget_batches(251)] == [100, 100, 50]
    assert sorted(i for b in forget_batches(251) for i in b) == list(range(1, 251))


def test_forget_as_the_very_first_message_asks_for_nothing():
    assert forget_batches(1) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_confirmation_and_the_menu_entry_exist_in_every_language(locale):
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    assert {p.stem for p in (DEFAULT_TEMPLATES / locale / "hygiene").glob("*.j2")} == {"forgotten"}
    assert "48" in renderer.render(locale, "hygiene/forgotten")
    assert renderer.label(locale, "cmd_forget")


def test_the_deletion_delay_reaches_the_policy_and_must_stay_below_telegrams_48_hours():
    assert policy_from(Settings(sensitive_delete_hours=6)).sensitive_delete_hours == 6
    assert policy_from(Settings()).sensitive_delete_hours == 0
    for wrong in (48, -1):
        with pytest.raises(ValidationError, match="sensitive_delete_hours"):
            Settings(sensitive_delete_hours=wrong)

"""A form's keyboard: Skip in the same place on every optional step (never where Back is), and the
confirm button says what confirming does: save a record, or send to someone else."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.db import Database
from handlers.context import Ctx
from handlers.dialogs.common import free_text
from handlers.dialogs.engine import Choice, Dialog, Engine, Step
from handlers.events import Edit, Incoming, InKind, Keyboard, Send
from handlers.render import Renderer
from models.access import Principal
from models.policy import Policy
from models.services.conversations import load_dialog
from models.services.identity import Identity

CHAT = 654
LABELS = {
    "back": "Back",
    "save": "Save",
    "send": "Send",
    "skip": "Skip",
    "cancel": "Cancel",
    "a": "A",
    "b": "B",
}
TEMPLATES = {
    "en/labels/common.j2": "{% set labels = " + repr(LABELS) + " %}",
    "en/t/ask.j2": "Tell me more?",
    "en/t/summary.j2": "Confirm?",
}
PICK = (Choice("a", "a"), Choice("b", "b"))
STEPS = (
    Step("first", "t/ask", parse=free_text(), skippable=True),  # nothing to go back to yet
    Step("kind", "t/ask", choices=PICK),
    Step("place", "t/ask", choices=PICK, parse=free_text(), skippable=True, columns=1),
    Step("notes", "t/ask", parse=free_text(), skippable=True),
)


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    for name, text in TEMPLATES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Renderer(ZoneInfo("Asia/Shanghai"), tmp_path, default_locale="en")


def _ctx(session: Any, renderer: Renderer, now: datetime, engine: Engine, **incoming: Any) -> Ctx:
    kind = InKind.callback if "callback_data" in incoming else InKind.message
    return Ctx(
        now=now,
        renderer=renderer,
        _session=session,
        policy=Policy(),
        incoming=Incoming(1, 1, kind, CHAT, CHAT, **incoming),
        identity=Identity(Principal.grid_worker, CHAT, worker_id=1),
        locale="en",
        dialogs=engine,
    )


def _keyboard(ctx: Ctx) -> Keyboard:
    shown = [a for a in ctx.actions if isinstance(a, Send | Edit) and a.buttons]
    return shown[-1].buttons


def _labels(keyboard: Keyboard) -> list[list[str]]:
    return [[b.text for b in row] for row in keyboard]


def _run(
    db: Database, renderer: Renderer, now: datetime, dialog: Dialog, answers: list[str]
) -> list[Keyboard]:
    """Start the form, then press each answer's button (by label) in turn: the keyboard of every screen."""
    engine = Engine([dialog])
    with db.unit_of_work() as session:
        ctx = _ctx(session, renderer, now, engine, text="/form")
        engine.start(ctx, dialog.name, {})
    screens = [_keyboard(ctx)]
    for label in answers:
        pressed = next(b.data for row in screens[-1] for b in row if b.text == label)
        with db.unit_of_work() as session:
            state = load_dialog(session, CHAT)
            assert state is not None
            ctx = _ctx(session, renderer, now, engine, callback_id="cb", callback_data=pressed, message_id=9)
            engine.on_button(ctx, state, pressed)
        screens.append(_keyboard(ctx))
    return screens


def test_skip_is_in_the_same_place_on_every_optional_step_and_back_never_is(db, renderer, now):
    dialog = Dialog("form", STEPS, "t/summary", lambda ctx, data, key: None)

    first, kind, place, notes, confirm = _run(db, renderer, now, dialog, ["Skip", "A", "Skip", "Skip"])

    for optional in (first, place, notes):
        assert _labels(optional)[-2] == ["Skip"]  # alone on the row above the bottom row
        assert "Skip" not in _labels(optional)[-1]
    assert _labels(first)[-1] == ["Cancel"]
    for later in (kind, place, notes, confirm):
        assert _labels(later)[-1] == ["Back", "Cancel"]  # Back only ever bottom left
    assert _labels(kind)[-2] == ["A", "B"]  # a required step: where Skip was is an answer, not Back
    assert _labels(place)[:-2] == [["A"], ["B"]]  # an optional step's choices come above Skip


def test_a_record_form_confirms_with_save(db, renderer, now):
    dialog = Dialog("form", STEPS[1:2], "t/summary", lambda ctx, data, key: None)

    *_, confirm = _run(db, renderer, now, dialog, ["A"])

    assert _labels(confirm)[0] == ["Save"]


def test_a_form_that_sends_to_someone_confirms_with_send(db, renderer, now):
    dialog = Dialog("form", STEPS[1:2], "t/summary", lambda ctx, data, key: None, confirm="send")

    *_, confirm = _run(db, renderer, now, dialog, ["A"])

    assert _labels(confirm)[0] == ["Send"]

"""The end of a form: at ✅ the engine calls its `finish` with the answers and the key saving is keyed
by; the confirmation message becomes what `finish` returns (a report's saved summary), or, when it
returns nothing, the summary marked done, and always before whatever `finish` said on its way. A
summary that `finish` replaces is never rendered at all."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.db import Database
from handlers.context import Ctx
from handlers.dialogs.common import free_text
from handlers.dialogs.engine import Dialog, Engine, Finish, Step, show
from handlers.events import AnswerCallback, Button, Edit, Incoming, InKind, Send
from handlers.render import Renderer
from models.access import Principal
from models.policy import Policy
from models.services.conversations import load_dialog
from models.services.identity import Identity

CHAT = 321
CONFIRMATION = 7  # the message that carries the summary and its save button
TEMPLATES = {
    "en/labels/common.j2": (
        '{% set labels = {"back": "Back", "save": "Save", "skip": "Skip", "cancel": "Cancel"} %}'
    ),
    "en/t/ask.j2": "What happened?",
    "en/t/summary.j2": "{{ 'Saved' if done else 'Save this?' }}: {{ data.text }} ({{ seen }})",
    "en/t/sent.j2": "Sent to the team.",
    "en/t/replaced.j2": "Saved as record {{ record }}.",
}


class RecordingRenderer(Renderer):
    """The real renderer, remembering which templates it rendered and whether each was `done`."""

    def __init__(self, templates: Path) -> None:
        super().__init__(ZoneInfo("Asia/Shanghai"), templates, default_locale="en")
        self.rendered: list[tuple[str, Any]] = []

    def render(self, locale: str, name: str, **view: Any) -> str:
        self.rendered.append((name, view.get("done")))
        return super().render(locale, name, **view)


@pytest.fixture
def renderer(tmp_path: Path) -> RecordingRenderer:
    for name, text in TEMPLATES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return RecordingRenderer(tmp_path)


def make_dialog(finish: Finish, views_seen: list[str | None]) -> Dialog:
    def views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
        views_seen.append(data.get("text"))
        return {"seen": len(views_seen)}

    return Dialog("incident", (Step("text", "t/ask", parse=free_text()),), "t/summary", finish, views=views)


def update(session: Any, renderer: Renderer, now: datetime, engine: Engine, **incoming: Any) -> Ctx:
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


def confirm(db: Database, engine: Engine, renderer: RecordingRenderer, now: datetime) -> list[Any]:
    """Start the form, type the answer, press Save on the confirmation; the actions of that press."""
    with db.unit_of_work() as session:
        engine.start(update(session, renderer, now, engine, text="/incident"), "incident", {})
    with db.unit_of_work() as session:
        state = load_dialog(session, CHAT)
        assert state is not None
        engine.on_text(update(session, renderer, now, engine, text="fell down"), state, "fell down")
    renderer.rendered.clear()
    with db.unit_of_work() as session:
        state = load_dialog(session, CHAT)
        assert state is not None
        ctx = update(
            session,
            renderer,
            now,
            engine,
            callback_id="cb",
            callback_data=f"d:{state.nonce}:c:ok",
            message_id=CONFIRMATION,
        )
        engine.on_button(ctx, state, f"d:{state.nonce}:c:ok")
    with db.unit_of_work() as session:
        assert load_dialog(session, CHAT) is None
    return ctx.actions


def test_summary_marked_done_comes_before_what_finish_says(db, renderer, now):
    def finish(ctx: Ctx, data: dict[str, Any], key: str) -> None:
        ctx.reply("t/sent")

    views_seen: list[str | None] = []
    actions = confirm(db, Engine([make_dialog(finish, views_seen)]), renderer, now)
    assert actions == [
        AnswerCallback("cb", None, False),
        Edit(CHAT, CONFIRMATION, "Saved: fell down (3)"),
        Send(CHAT, "Sent to the team."),
    ]


def test_summary_shows_the_answers_as_confirmed_whatever_finish_does_with_them(db, renderer, now):
    def finish(ctx: Ctx, data: dict[str, Any], key: str) -> None:
        data["text"] = "rewritten by finish"

    views_seen: list[str | None] = []
    actions = confirm(db, Engine([make_dialog(finish, views_seen)]), renderer, now)
    assert Edit(CHAT, CONFIRMATION, "Saved: fell down (3)") in actions
    assert views_seen == [None, "fell down", "fell down"]


def test_what_finish_returns_replaces_the_summary_which_is_never_rendered(db, renderer, now):
    def finish(ctx: Ctx, data: dict[str, Any], key: str) -> Any:
        return show("t/replaced", ((Button("Card", "p:1"),),), record=1)

    views_seen: list[str | None] = []
    actions = confirm(db, Engine([make_dialog(finish, views_seen)]), renderer, now)
    assert actions == [
        AnswerCallback("cb", None, False),
        Edit(CHAT, CONFIRMATION, "Saved as record 1.", ((Button("Card", "p:1"),),)),
    ]
    assert renderer.rendered == [("t/replaced", None)]
    assert views_seen == [None, "fell down"]  # the question and the confirmation, not the save


def test_what_finish_returns_comes_before_what_it_said_on_its_way(db, renderer, now):
    def finish(ctx: Ctx, data: dict[str, Any], key: str) -> Any:
        ctx.reply("t/sent")
        return show("t/replaced", record=2)

    actions = confirm(db, Engine([make_dialog(finish, [])]), renderer, now)
    assert actions[1:] == [Edit(CHAT, CONFIRMATION, "Saved as record 2."), Send(CHAT, "Sent to the team.")]


def test_finish_gets_the_answers_alone_and_a_key_of_its_own_run(db, renderer, now):
    runs: list[tuple[dict[str, Any], str]] = []

    def finish(ctx: Ctx, data: dict[str, Any], key: str) -> None:
        runs.append((dict(data), key))

    engine = Engine([make_dialog(finish, [])])
    confirm(db, engine, renderer, now)
    confirm(db, engine, renderer, now)  # the same form filled in again: another run
    (first, first_key), (second, second_key) = runs
    assert first == second == {"text": "fell down"}  # nothing of the engine's among the answers
    assert first_key.startswith(f"{CHAT}:") and second_key.startswith(f"{CHAT}:")
    assert first_key != second_key

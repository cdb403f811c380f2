"""The dialog engine: forms as data (steps with a prompt, answers, validation), run one update at a time.

A dialog reads top to bottom like PTB's conversationbot: a tuple of steps, each with the template
that asks, the buttons it offers and/or the parser for typed answers, and an optional condition.
State lives in the database (models.services.conversations), so a form survives restarts.
Button data is `d:<nonce>:<step>:<answer>`: the nonce ties it to one run of one form, so a button
left in the chat from an older form or an earlier step is recognised as stale and does nothing.

Nothing typed is lost unannounced. A chat keeps one draft per form and person: starting another
form keeps the open one (and says where to resume it: `d:<nonce>:r:go`, listed in /today);
starting the same form for the same person continues its draft, saying so; a draft left idle is
announced before it expires (handlers.dialogs.drafts); cancelling is the user's own choice.

A form ends explicitly: at ✅ the engine calls its `finish`, which does what saving means and
returns what the confirmation message becomes (`show(...)`: a saved report with its buttons, a
refusal), or nothing, and then the engine marks the summary done. Whatever the engine keeps for
itself (the steps answered, the choices offered, the run a save is keyed by) lives beside the
answers in the draft (models.services.conversations.DialogState), never among them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.drafts import PREFIX, RESUME, person_code, set_aside, subject_of, tell_kept
from handlers.events import Button, Keyboard
from models.services.conversations import DialogState, drop_draft, find_draft, new_dialog, save_dialog

SKIPPED = None


class Invalid(Exception):
    """A typed answer was not acceptable: re-ask with this template's explanation."""

    def __init__(self, template: str, **view: Any) -> None:
        super().__init__(template)
        self.template, self.view = template, view


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # a key of templates/<locale>/labels.j2, or literal text when `literal`
    literal: bool = False


Choices = Sequence[Choice] | Callable[[Ctx, dict[str, Any]], Sequence[Choice]]

# A choice that turns the page of a long list of choices (the date picker's weeks) instead of
# answering: the engine keeps the page in `data[PAGE]`, shows the step again in place, and forgets
# the page once the step is answered or left.
PAGE = "_pg"
_TURN = "_page:"


def page_choice(page: int, label: str) -> Choice:
    return Choice(f"{_TURN}{page}", label)


@dataclass(frozen=True)
class Step:
    """One question of a form."""

    name: str
    prompt: str
    choices: Choices = ()
    parse: Callable[[Ctx, dict[str, Any], str], Any] | None = None  # accepts typed text; raise Invalid
    photo: bool = False  # accepts a photo
    skippable: bool = False
    when: Callable[[dict[str, Any]], bool] | None = None
    columns: int = 2

    def applies(self, data: dict[str, Any]) -> bool:
        return self.when is None or self.when(data)

    def options(self, ctx: Ctx, data: dict[str, Any]) -> Sequence[Choice]:
        return self.choices(ctx, data) if callable(self.choices) else self.choices


@dataclass(frozen=True)
class Shown:
    """What a form's confirmation message becomes, as its `finish` decided (see `show`)."""

    template: str
    buttons: Keyboard = ()
    view: dict[str, Any] = field(default_factory=dict)


def show(template: str, buttons: Keyboard = (), **view: Any) -> Shown:
    """What `finish` returns to end its form with its own message instead of the summary marked
    done: the confirmation message is edited to this template, with these buttons and view."""
    return Shown(template, buttons, view)


# A form's end, called at ✅ with the answers and the key that saving is keyed by (a double tap
# saves once): it returns what the confirmation message becomes, or None for the summary marked done.
Finish = Callable[[Ctx, dict[str, Any], str], Shown | None]


@dataclass(frozen=True)
class Dialog:
    """A form: its steps, the summary shown for confirmation, and what saving does."""

    name: str
    steps: tuple[Step, ...]
    summary: str
    finish: Finish
    authorize: Callable[[Ctx, dict[str, Any]], bool] = lambda ctx, data: True
    ttl: timedelta = timedelta(hours=2)
    # The confirm button's label: "save" when the form files a record, "send" when its point is a
    # message to someone else (a family's alert or tip, a worker's reply to a family).
    confirm: str = "save"
    views: Callable[[Ctx, dict[str, Any]], dict[str, Any]] = field(default=lambda ctx, data: {})
    # A step the confirm screen offers to change (its label `change_<step>`), asked even if its
    # condition skipped it, then straight back to the confirm screen: a routine path's date.
    revisit: str | None = None

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def index(self, name: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.name == name)


CONFIRM = "_confirm"


class Engine:
    """Runs the dialogs it was given; the router hands it texts, photos and `d:` buttons."""

    def __init__(self, dialogs: Sequence[Dialog] = ()) -> None:
        self.dialogs: dict[str, Dialog] = {}
        for dialog in dialogs:
            self.add(dialog)

    def add(self, dialog: Dialog) -> None:
        assert dialog.name not in self.dialogs, dialog.name
        self.dialogs[dialog.name] = dialog

    # -- starting, cancelling, expiring ---------------------------------------------------------

    def start(self, ctx: Ctx, name: str, data: dict[str, Any], *, edit_message: int | None = None) -> None:
        """Begin a form and ask its first question; the open draft is kept (the user is told), and a
        draft of this form for this person is continued instead of replaced."""
        dialog = self.dialogs[name]
        existing = ctx.call(find_draft, ctx.chat_id, name, subject_of(data))
        if existing is not None and not existing.history:  # nothing answered: begin anew
            ctx.call(drop_draft, existing.id)
            existing = None
        set_aside(ctx, keep=existing)
        if existing is not None:
            ctx.reply("dialog/draft_continued", dialog=name, code=person_code(ctx, existing.data))
            self._ask(ctx, dialog, existing)
            return
        state = new_dialog(ctx.chat_id, name, "", dict(data), now=ctx.now)
        state.subject, state.active = subject_of(data), False
        state.step = self._next_step(dialog, state.data, after=None)
        self._ask(ctx, dialog, state, edit_message=edit_message)

    def cancel(self, ctx: Ctx, state: DialogState | None) -> None:
        if state is not None:
            ctx.call(drop_draft, state.id)
        ctx.reply("dialog/cancelled" if state else "dialog/nothing_to_cancel")
        tell_kept(ctx)

    def expired(self, ctx: Ctx, state: DialogState) -> bool:
        """Drop a draft of a form this bot no longer has, telling the user; True if dropped.

        A draft the user comes back to is never dropped under their hands, however long it was
        idle: drafts expire in the drafts job, after their expiry was announced.
        """
        if state.dialog in self.dialogs:
            return False
        ctx.call(drop_draft, state.id)
        ctx.reply("dialog/expired", dialog=state.dialog)
        return True

    # -- answers --------------------------------------------------------------------------------

    def on_text(self, ctx: Ctx, state: DialogState, text: str) -> None:
        dialog = self.dialogs[state.dialog]
        if state.step == CONFIRM:
            ctx.reply("dialog/use_buttons")
            self._ask(ctx, dialog, state)
            return
        step = dialog.step(state.step)
        if step.parse is None:
            ctx.reply("dialog/use_buttons")
            self._ask(ctx, dialog, state)
            return
        try:
            value = step.parse(ctx, state.data, text)
        except Invalid as bad:
            ctx.reply(bad.template, **bad.view)
            self._ask(ctx, dialog, state)
            return
        self._advance(ctx, dialog, state, value)

    def on_photo(self, ctx: Ctx, state: DialogState, file_id: str) -> None:
        dialog = self.dialogs[state.dialog]
        if state.step == CONFIRM or not dialog.step(state.step).photo:
            ctx.reply("dialog/no_photo_here")
            self._ask(ctx, dialog, state)
            return
        self._advance(ctx, dialog, state, file_id)

    def on_button(self, ctx: Ctx, state: DialogState | None, data: str) -> None:
        """A `d:` button: check it belongs to the current question of the current form, then act."""
        parts = data.split(":")
        if state is None or len(parts) != 4 or parts[1] != str(state.nonce):
            ctx.answer("dialog/stale")
            return
        if parts[2] == RESUME:  # a kept draft brought back: it becomes the active one, re-asked
            ctx.answer()
            set_aside(ctx, keep=state)
            self._ask(ctx, self.dialogs[state.dialog], state)
            return
        if parts[2] != self._step_key(state):
            ctx.answer("dialog/stale")
            return
        dialog, answer = self.dialogs[state.dialog], parts[3]
        if not state.active and answer not in ("x", "ok"):  # a kept draft answered: it becomes active
            set_aside(ctx, keep=state)
        message_id = ctx.incoming.message_id
        at_confirm = state.step == CONFIRM
        shown = state.offered  # the values as they were offered, not as they are now
        if answer == "x":
            ctx.answer()
            ctx.call(drop_draft, state.id)
            self._close(ctx, message_id, "dialog/cancelled")
            tell_kept(ctx)
        elif answer == "b":
            ctx.answer()
            self._back(ctx, dialog, state, message_id)
        elif at_confirm and answer == "ok":
            ctx.answer()
            self._finish(ctx, dialog, state, message_id)
            tell_kept(ctx)
        elif at_confirm and answer == "e" and dialog.revisit is not None:
            ctx.answer()
            state.revisit, state.step = True, dialog.revisit
            self._ask(ctx, dialog, state, edit_message=message_id)
        elif not at_confirm and answer == "s" and dialog.step(state.step).skippable:
            ctx.answer()
            self._advance(ctx, dialog, state, SKIPPED, edit_message=message_id)
        elif not at_confirm and answer.isdigit() and int(answer) < len(shown):
            ctx.answer()
            value = shown[int(answer)]
            if isinstance(value, str) and value.startswith(_TURN):
                state.data[PAGE] = int(value.removeprefix(_TURN))
                self._ask(ctx, dialog, state, edit_message=message_id)
            else:
                self._advance(ctx, dialog, state, value, edit_message=message_id)
        else:
            ctx.answer("dialog/stale")

    # -- internals ------------------------------------------------------------------------------

    def _step_key(self, state: DialogState) -> str:
        return "c" if state.step == CONFIRM else str(self.dialogs[state.dialog].index(state.step))

    def _next_step(self, dialog: Dialog, data: dict[str, Any], after: str | None) -> str:
        start = 0 if after is None else dialog.index(after) + 1
        for step in dialog.steps[start:]:
            if step.applies(data):
                return step.name
        return CONFIRM

    def _advance(
        self, ctx: Ctx, dialog: Dialog, state: DialogState, value: Any, *, edit_message: int | None = None
    ) -> None:
        state.data.pop(PAGE, None)
        state.data[state.step] = value
        if state.revisit:  # changed from the confirm screen: back to it
            state.revisit, state.step = False, CONFIRM
            self._ask(ctx, dialog, state, edit_message=edit_message)
            return
        state.history.append(state.step)
        subject = subject_of(state.data)
        if subject and subject != state.subject:  # the person was just chosen
            other = ctx.call(find_draft, ctx.chat_id, dialog.name, subject)
            if other is not None and other.id != state.id:
                # A draft of this form for this person is open: continue it (it holds more than this
                # one, whose only answer, the person as its first step, is the same).
                ctx.call(drop_draft, state.id)
                ctx.reply("dialog/draft_continued", dialog=dialog.name, code=person_code(ctx, other.data))
                self._ask(ctx, dialog, other)
                return
            state.subject = subject
        state.step = self._next_step(dialog, state.data, after=state.step)
        self._ask(ctx, dialog, state, edit_message=edit_message)

    def _back(self, ctx: Ctx, dialog: Dialog, state: DialogState, message_id: int | None) -> None:
        state.data.pop(PAGE, None)
        history = state.history
        if state.revisit:  # « from a step opened on the confirm screen: back there
            state.revisit, state.step = False, CONFIRM
            self._ask(ctx, dialog, state, edit_message=message_id)
            return
        if not history:
            self._ask(ctx, dialog, state, edit_message=message_id)
            return
        state.step = history.pop()
        state.data.pop(state.step, None)
        self._ask(ctx, dialog, state, edit_message=message_id)

    def _finish(self, ctx: Ctx, dialog: Dialog, state: DialogState, message_id: int | None) -> None:
        ctx.call(drop_draft, state.id)
        if not dialog.authorize(ctx, state.data):  # rights may have changed while the form was open
            self._close(ctx, message_id, "errors/not_allowed")
            return
        confirmed = dict(state.data)  # the summary shows the answers as confirmed, whatever finish does
        said = len(ctx.actions)
        shown = dialog.finish(ctx, state.data, state.key)
        if shown is None:
            if message_id is None:  # no confirmation message to mark done
                return
            view = {"data": confirmed, "done": True, **dialog.views(ctx, confirmed)}
            shown = Shown(dialog.summary, view=view)
        self._close(ctx, message_id, shown.template, shown.buttons, **shown.view)
        # The confirmation message changes first, then comes whatever `finish` said on its way.
        ctx.actions.insert(said, ctx.actions.pop())

    def _close(
        self, ctx: Ctx, message_id: int | None, template: str, buttons: Keyboard = (), **view: Any
    ) -> None:
        if message_id is not None:
            ctx.edit(message_id, template, buttons, **view)
        else:
            ctx.reply(template, buttons, **view)

    def _ask(self, ctx: Ctx, dialog: Dialog, state: DialogState, *, edit_message: int | None = None) -> None:
        """Save the state and show the current question (or the summary) with its buttons."""
        step = None if state.step == CONFIRM else dialog.step(state.step)
        base = f"{PREFIX}:{state.nonce}:{self._step_key(state)}"
        options = [] if step is None else list(step.options(ctx, state.data))
        state.offered = [c.value for c in options]
        ctx.call(save_dialog, state, now=ctx.now, ttl=dialog.ttl)
        view = {"data": state.data, "done": False, **dialog.views(ctx, state.data)}
        # The bottom row is always « back (once there is something to go back to) and ✖ cancel; a
        # step that may be skipped has Skip alone on the row above it, so Skip sits in the same
        # place on every step and tapping that place again never means back.
        nav = [ctx.button("back", f"{base}:b")] if state.history else []
        if step is None:
            template = dialog.summary
            rows: list[tuple[Button, ...]] = [(ctx.button(dialog.confirm, f"{base}:ok"),)]
            if dialog.revisit is not None:
                rows.append((ctx.button(f"change_{dialog.revisit}", f"{base}:e"),))
        else:
            template = step.prompt
            rows = _grid(
                [
                    Button(c.label if c.literal else ctx.label(c.label), f"{base}:{i}")
                    for i, c in enumerate(options)
                ],
                step.columns,
            )
            if step.skippable:
                rows.append((ctx.button("skip", f"{base}:s"),))
        nav.append(ctx.button("cancel", f"{base}:x"))
        keyboard: Keyboard = (*rows, tuple(nav))
        if edit_message is not None:
            ctx.edit(edit_message, template, keyboard, **view)
        else:
            ctx.reply(template, keyboard, **view)


def _grid(buttons: list[Button], columns: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]

"""Command and button dispatch with the principal-level access check; person-level checks are in handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.drafts import PREFIX as DIALOG_PREFIX
from handlers.dialogs.engine import Engine
from handlers.events import InKind
from models.access import Action, Principal, scope_of
from models.audit import audit
from models.callback_data import CallbackData
from models.services.conversations import load_dialog, load_draft

Handler = Callable[[Ctx, str], None]  # (context, the command's argument text or free text)
ButtonHandler = Callable[[Ctx, Any], None]  # (context, the button's parsed data: an instance of its kind)
# Asked before a permitted update reaches its handler (the action; None for free text and form
# buttons): False means the gate has answered and the update stops there.
Gate = Callable[[Ctx, Action | None], bool]


def _stale(ctx: Ctx) -> None:
    ctx.answer("dialog/stale")


def not_allowed(ctx: Ctx) -> None:
    """The answer to junk data of kinds that name someone: like an id the caller may not see."""
    ctx.answer("errors/not_allowed", alert=True)


@dataclass(frozen=True)
class Route:
    action: Action
    handler: Handler
    menu: bool | tuple[Principal, ...] = True  # shown in the menu of every allowed role, of these, or none


@dataclass(frozen=True)
class ButtonRoute:
    kind: type[CallbackData]  # its prefix and how its data is read (handlers.callbacks)
    action: Action
    handler: ButtonHandler
    junk: Callable[[Ctx], None] = _stale  # data of this prefix that does not parse


def _audit_refusal(ctx: Ctx, action: Action) -> None:
    """A role asked for what it may never do: kept in the audit log (the answer says nothing more)."""
    ctx.call(audit, ctx.identity.actor, "refused", "action", None, at=ctx.now, detail=str(action))


class Router:
    """Maps `/command` and `prefix:` buttons to handlers, and free text to the open form."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, ButtonRoute] = {}
        self.on_free_text: dict[Principal, Handler] = {}
        self.gates: list[Gate] = []

    def command(
        self, name: str, action: Action, handler: Handler, *, menu: bool | tuple[Principal, ...] = True
    ) -> None:
        assert name.startswith("/") and name not in self.commands, name
        self.commands[name] = Route(action, handler, menu)

    def menu(self, principal: Principal) -> tuple[str, ...]:
        """The commands this role's menu shows, in registration order: only routed, allowed ones."""
        return tuple(
            name[1:]
            for name, route in self.commands.items()
            if scope_of(principal, route.action) is not None
            and (route.menu is True or (isinstance(route.menu, tuple) and principal in route.menu))
        )

    def button(
        self,
        kind: type[CallbackData],
        action: Action,
        handler: ButtonHandler,
        *,
        junk: Callable[[Ctx], None] | None = None,
    ) -> None:
        """Buttons of this kind go to the handler with their data parsed (handlers.callbacks); data
        that does not parse goes to `junk`, or is answered as stale."""
        prefix = kind.PREFIX
        assert prefix != DIALOG_PREFIX and ":" not in prefix and prefix not in self.buttons, prefix
        self.buttons[prefix] = ButtonRoute(kind, action, handler, junk or _stale)

    def gate(self, gate: Gate) -> None:
        self.gates.append(gate)

    def _passes(self, ctx: Ctx, action: Action | None) -> bool:
        return all(gate(ctx, action) for gate in self.gates)

    def free_text(self, principal: Principal, handler: Handler) -> None:
        assert principal not in self.on_free_text, principal
        self.on_free_text[principal] = handler

    def dispatch(self, ctx: Ctx) -> None:
        incoming = ctx.incoming
        if not incoming.is_private:
            return  # the bot works in private chats only; groups get nothing
        if incoming.kind is InKind.callback:
            self._button(ctx, incoming.callback_data or "")
        elif incoming.kind is InKind.message and incoming.text and incoming.text.startswith("/"):
            self._command(ctx, incoming.text)
        elif incoming.kind is InKind.message and (
            incoming.text or incoming.photo_file_id or incoming.voice_file_id
        ):
            self._content(ctx)
        else:
            ctx.reply("errors/unsupported")

    def _allowed(self, ctx: Ctx, action: Action) -> bool:
        if scope_of(ctx.identity.principal, action) is not None:
            return True
        _audit_refusal(ctx, action)
        if ctx.identity.principal is Principal.unlinked:
            ctx.reply("onboarding/unlinked")
        else:
            ctx.reply("errors/not_allowed")
        return False

    def _command(self, ctx: Ctx, text: str) -> None:
        name, _, arg = text.partition(" ")
        name = name.split("@", 1)[0].lower()
        route = self.commands.get(name)
        if route is None:
            if ctx.identity.principal is Principal.unlinked:
                ctx.reply("onboarding/unlinked")
            else:
                ctx.reply("errors/unknown_command")
            return
        if self._allowed(ctx, route.action) and self._passes(ctx, route.action):
            route.handler(ctx, arg.strip())

    def _button(self, ctx: Ctx, data: str) -> None:
        prefix, _, payload = data.partition(":")
        if prefix == DIALOG_PREFIX:
            if not self._passes(ctx, None):
                return
            # The draft the button belongs to, active or kept (a chat may keep several).
            nonce = payload.partition(":")[0]
            valid = nonce.isascii() and nonce.isdigit() and len(nonce) <= 9
            state = ctx.call(load_draft, ctx.chat_id, int(nonce)) if valid else None
            if state is not None and self.engine.expired(ctx, state):
                state = None
            self.engine.on_button(ctx, state, data)
            return
        route = self.buttons.get(prefix)
        if route is None:
            ctx.answer("dialog/stale")
            return
        if scope_of(ctx.identity.principal, route.action) is None:
            _audit_refusal(ctx, route.action)
            ctx.answer("errors/not_allowed", alert=True)
            return
        if not self._passes(ctx, route.action):
            return
        parsed = route.kind.parse(payload)
        if parsed is not None:
            route.handler(ctx, parsed)
        else:
            route.junk(ctx)

    def _content(self, ctx: Ctx) -> None:
        if not self._passes(ctx, None):
            return
        state = ctx.call(load_dialog, ctx.chat_id)
        if state is not None and not self.engine.expired(ctx, state):
            if ctx.incoming.photo_file_id:
                self.engine.on_photo(ctx, state, ctx.incoming.photo_file_id)
            elif ctx.incoming.voice_file_id and not ctx.incoming.text:
                ctx.reply("errors/unsupported")  # forms take typed answers; a voice note is not one
            else:
                self.engine.on_text(ctx, state, ctx.incoming.text or "")
            return
        handler = self.on_free_text.get(ctx.identity.principal)
        if handler is not None:
            handler(ctx, ctx.incoming.text or "")
        elif ctx.identity.principal is Principal.unlinked:
            ctx.reply("onboarding/unlinked")
        else:
            ctx.reply("errors/free_text_hint")

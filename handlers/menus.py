"""The command menu each kind of user sees (setMyCommands for their chat)."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.events import SetCommands
from models.access import Principal

# Only commands that exist: a test checks every menu entry is routed and allowed for its role.
WORKER_MENU = ("my", "note", "whoami", "lang", "help", "cancel")
MENUS: dict[Principal, tuple[str, ...]] = {
    Principal.unlinked: ("start", "help", "lang"),
    Principal.family: ("whoami", "lang", "help"),
    Principal.supervisor: ("whoami", "lang", "help"),
    Principal.admin: ("whoami", "lang", "help"),
}


def menu_for(principal: Principal) -> tuple[str, ...]:
    return MENUS.get(principal, WORKER_MENU)


def set_menu(ctx: Ctx, principal: Principal) -> None:
    """Give this chat the commands of its role, described in its language."""
    commands = tuple((name, ctx.label(f"cmd_{name}")) for name in menu_for(principal))
    ctx.send(SetCommands(ctx.chat_id, commands))

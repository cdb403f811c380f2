"""The command menu each kind of user sees (setMyCommands for their chat)."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.events import SetCommands
from models.access import Principal

WORKER_MENU = ("my", "today", "note", "whoami", "lang", "help", "cancel")
MENUS: dict[Principal, tuple[str, ...]] = {
    Principal.unlinked: ("start", "help", "lang"),
    Principal.family: ("contact", "urgent", "tip", "whoami", "lang", "help", "stop"),
    Principal.supervisor: ("digest", "workers", "report", "export", "whoami", "lang", "help"),
    Principal.admin: ("digest", "export", "whoami", "lang", "help"),
}


def menu_for(principal: Principal) -> tuple[str, ...]:
    return MENUS.get(principal, WORKER_MENU)


def set_menu(ctx: Ctx, principal: Principal) -> None:
    """Give this chat the commands of its role, described in its language."""
    commands = tuple((name, ctx.label(f"cmd_{name}")) for name in menu_for(principal))
    ctx.send(SetCommands(ctx.chat_id, commands))

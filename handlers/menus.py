"""The command menu each kind of user sees (setMyCommands for their chat), derived from the router."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.events import SetCommands
from models.access import Principal


def set_menu(ctx: Ctx, principal: Principal) -> None:
    """Give this chat the commands of its role, described in its language."""
    commands = tuple((name, ctx.label(f"cmd_{name}")) for name in ctx.menu(principal))
    ctx.send(SetCommands(ctx.chat_id, commands))

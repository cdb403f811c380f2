"""The command menu each kind of user sees (setMyCommands for their chat), derived from the router."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.events import SetCommands
from models.access import Action, Principal, scope_of


def set_menu(ctx: Ctx, principal: Principal) -> None:
    """Give this chat the commands of its role, described in its language; for staff who may see the
    digest, where the Mini App is served, the chat's menu button opens it."""
    commands = tuple((name, ctx.label(f"cmd_{name}")) for name in ctx.menu(principal))
    url = ctx.policy.miniapp_url
    app = (ctx.label("ma_menu_button"), url) if url and scope_of(principal, Action.view_digest) else None
    ctx.send(SetCommands(ctx.chat_id, commands, menu_app=app))

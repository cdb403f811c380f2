"""Menus advertise only commands that exist and that the role may use."""

from __future__ import annotations

import pytest

from handlers.menus import menu_for
from handlers.setup import build_router
from models.access import Principal, scope_of


@pytest.mark.parametrize("principal", list(Principal))
def test_every_menu_command_is_routed_and_allowed(principal):
    router = build_router()
    for name in menu_for(principal):
        route = router.commands.get(f"/{name}")
        assert route is not None, f"/{name} is in the {principal} menu but has no handler"
        assert scope_of(principal, route.action) is not None, f"{principal} may not use /{name}"

"""Menus advertise only commands that exist and that the role may use."""

from __future__ import annotations

import pytest

from handlers.setup import build_router
from models.access import Principal, scope_of


@pytest.mark.parametrize("principal", list(Principal))
def test_every_menu_command_is_routed_and_allowed(principal):
    router = build_router()
    menu = router.menu(principal)
    assert "help" in menu
    for name in menu:
        assert scope_of(principal, router.commands[f"/{name}"].action) is not None


def test_family_and_unlinked_menus_hold_no_worker_commands():
    router = build_router()
    for principal in (Principal.family, Principal.unlinked):
        assert not {"my", "note"} & set(router.menu(principal))

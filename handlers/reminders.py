"""(being written)"""

from __future__ import annotations

from handlers.dialogs.engine import Engine
from handlers.router import Router


def register(router: Router, engine: Engine) -> None:
    """Adds this feature's commands, buttons and forms."""

"""Builds the router with every command, button and form: each feature registers its own."""

from __future__ import annotations

from handlers import onboarding, worker
from handlers.dialogs.engine import Engine
from handlers.router import Router


def build_router() -> Router:
    """A fresh router (tests build one each). Registration order is menu order."""
    engine = Engine()
    router = Router(engine)
    worker.register(router, engine)
    onboarding.register(router, engine)
    return router

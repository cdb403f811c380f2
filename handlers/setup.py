"""Builds the router with every command, button and form: each feature registers its own."""

from __future__ import annotations

from handlers import appointments, casework, groups, hygiene, onboarding, reports, worker
from handlers.dialogs.engine import Engine
from handlers.family import relatives as family
from handlers.reminders import commands as reminders
from handlers.router import Router
from handlers.supervisor import commands as supervisor


def build_router() -> Router:
    """A fresh router (tests build one each). Registration order is menu order."""
    engine = Engine()
    router = Router(engine)
    for feature in (
        worker,
        reports,
        groups,
        reminders,
        family,
        appointments,
        casework,
        supervisor,
        onboarding,
        hygiene,
    ):
        feature.register(router, engine)
    return router

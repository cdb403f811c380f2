"""Whom a report's alert will reach, as its confirm screen shows it before saving.

The alerts themselves (a positive, refused or missed test, relapse signs seen on a visit) are sent
by models.services.reporting.alerts when the record is filed, with the same routing (`route`, the
caller excluded), so the screen's promise and the delivery are one computation.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.context import Ctx
from models.people import Role
from models.services.alerts.routing import TEST_ROLES, Routing, route


def alert_routing(ctx: Ctx, person_id: int, roles: Sequence[Role] = TEST_ROLES) -> Routing:
    """Who a report's alert about this person reaches if the caller saves it now (the confirm screen)."""
    return ctx.call(route, person_id, roles, exclude=ctx.identity.worker_id)

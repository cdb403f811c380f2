"""Alerts that reached nobody of some role go, late but not never, to whoever of it can now be found
(models.services.alerts.unrouted.deliver_rerouted: whom, and the message each gets).

Run when a worker links an account (the usual reason a role becomes reachable), and before the
supervisors' digest.
"""

from __future__ import annotations

from handlers.context import Work
from models.services.alerts.unrouted import deliver_rerouted as deliver


def deliver_rerouted(work: Work) -> int:
    """Route the unrouted alerts again and tell whoever is reached now; how many messages."""
    return work.call(deliver, work, now=work.now)

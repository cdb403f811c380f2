"""A case's life: status changes, transfers, escalation of 失联, and the case timeline."""

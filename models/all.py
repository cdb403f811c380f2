"""Imports every table module so that Base.metadata knows the whole schema (Alembic, tests)."""

from models import (  # noqa: F401
    alerts,
    areas,
    audit,
    casework,
    chat,
    family,
    obligation_state,
    outbox,
    people,
    records,
    reminders,
    sealing,
)
from models.base import Base

metadata = Base.metadata

"""Imports every table module so that Base.metadata knows the whole schema (Alembic, tests)."""

from models import alerts, areas, audit, casework, chat, family, outbox, people, records, reminders  # noqa: F401
from models.base import Base

metadata = Base.metadata

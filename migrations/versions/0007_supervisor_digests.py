"""supervisor digests

Indexes for the digest's day-range counts over big tables: records filed in a period (late
entries, tests that alert, campaign-day activity, reviews) and colour changes in a period.
The review table already has its index on record_id.

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_records_created_at", "records", ["created_at"])
    op.create_index("ix_colour_changes_changed_at", "colour_changes", ["changed_at"])


def downgrade() -> None:
    op.drop_index("ix_colour_changes_changed_at", table_name="colour_changes")
    op.drop_index("ix_records_created_at", table_name="records")

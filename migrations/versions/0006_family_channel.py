"""family channel: an index for the escalation job's open-alert query

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_urgent_alerts_open",
        "urgent_alerts",
        ["acknowledged_at", "escalated_at", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_urgent_alerts_open", table_name="urgent_alerts")

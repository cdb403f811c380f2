"""obligation state: each person's due items kept, and for which day (issue 15)

Revision ID: 0018
Revises: 0017

The tables start empty: every person's items are worked out on first read, or all at once by
`gridcare obligations rebuild` (the night job does it too), from the records with the Python rules.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obligation_items",
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("obligation", sa.String(30), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(10), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "obligation", "period_start"),
    )
    op.create_table(
        "obligation_stamps",
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("computed_for", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_obligation_stamps_valid_until", "obligation_stamps", ["valid_until"])


def downgrade() -> None:
    op.drop_index("ix_obligation_stamps_valid_until", table_name="obligation_stamps")
    op.drop_table("obligation_stamps")
    op.drop_table("obligation_items")

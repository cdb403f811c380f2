"""obligation stamps keep each person's earliest open due date (issue 15)

Revision ID: 0022
Revises: 0021

Who is overdue and since when was found by grouping every kept item per person: 7.9 million items
for a country's digest, twice (the people overdue per area, and the five named). The stamp, one
row per person, is written with the items and now carries the earliest due date of those not done;
existing stamps take it from their items here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPY = """
UPDATE obligation_stamps SET first_open_due = (
    SELECT min(due_date) FROM obligation_items
    WHERE obligation_items.person_id = obligation_stamps.person_id
      AND obligation_items.done < obligation_items.required
)
"""


def upgrade() -> None:
    op.add_column("obligation_stamps", sa.Column("first_open_due", sa.Date(), nullable=True))
    op.execute(sa.text(_COPY))


def downgrade() -> None:
    with op.batch_alter_table("obligation_stamps") as batch_op:
        batch_op.drop_column("first_open_due")

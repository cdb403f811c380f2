"""morning marks: a worker's morning dealt with on a day, in a table of its own (issue 15)

Revision ID: 0019
Revises: 0018

They were `job_runs` rows (job "morning_worker", key "<day>:<worker id>"), whose string keys made
every claim of a morning's batch read the marks of every day kept. Today's marks are not carried
over: a worker whose morning was already dealt with today is dealt with again, and finds the
message's dedupe key taken (nothing is sent twice).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "morning_marks",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("day", "worker_id"),
    )
    op.execute(sa.text("DELETE FROM job_runs WHERE job = 'morning_worker'"))


def downgrade() -> None:
    op.drop_table("morning_marks")

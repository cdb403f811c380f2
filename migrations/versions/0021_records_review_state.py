"""records keep their latest review: when it was made and its verdict (issue 15)

Revision ID: 0021
Revises: 0020

Whether a report awaits review (no review since its last change) or has errors open (its latest
review, since that change, says so) was worked out from `reviews` for every report of the window:
the digest grouped a subtree's reviews by record and joined them back, reading the window's
records twice (0.45 s of a 10,000-person city's digest on SQLite). Each review saved now writes
its time and verdict on the record; existing reviews are copied here, the latest by id.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each record reviewed takes its latest review's (by id) time and verdict.
_COPY_LATEST = """
UPDATE records SET
    reviewed_at = (SELECT created_at FROM reviews WHERE record_id = records.id ORDER BY id DESC LIMIT 1),
    review_verdict = (SELECT verdict FROM reviews WHERE record_id = records.id ORDER BY id DESC LIMIT 1)
WHERE records.id IN (SELECT record_id FROM reviews)
"""


def upgrade() -> None:
    op.add_column("records", sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "records",
        sa.Column(
            "review_verdict",
            sa.Enum("correct", "has_errors", name="reviewverdict", native_enum=False, length=12),
            nullable=True,
        ),
    )
    op.execute(sa.text(_COPY_LATEST))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch_op:
        batch_op.drop_column("review_verdict")
        batch_op.drop_column("reviewed_at")

"""obligations and reminders: the overdue ladder's notices

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "overdue_notices",
        sa.Column("id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("obligation", sa.String(length=30), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_overdue_notices_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_overdue_notices_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdue_notices")),
        sa.UniqueConstraint(
            "person_id",
            "obligation",
            "period_start",
            "step",
            "worker_id",
            name=op.f("uq_overdue_notices_person_id"),
        ),
    )
    with op.batch_alter_table("overdue_notices", schema=None) as batch_op:
        batch_op.create_index("ix_overdue_notices_notified_at", ["notified_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("overdue_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_overdue_notices_notified_at")
    op.drop_table("overdue_notices")

"""alert log: every alert as routed, and the roles nobody linked could be found for

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_log",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("area_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.Column("unrouted", sa.String(length=100), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_alert_log_person_id_persons")),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_alert_log_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_log")),
        sa.UniqueConstraint("kind", "source_id", name="uq_alert_log_kind_source"),
    )
    with op.batch_alter_table("alert_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_log_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_log_area_id"), ["area_id"], unique=False)
        batch_op.create_index("ix_alert_log_unrouted", ["unrouted"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_log", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_log_unrouted")
        batch_op.drop_index(batch_op.f("ix_alert_log_area_id"))
        batch_op.drop_index(batch_op.f("ix_alert_log_person_id"))
    op.drop_table("alert_log")

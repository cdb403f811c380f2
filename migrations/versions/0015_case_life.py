"""the case's life: status changes, transfers, agreements; appointments; tips taken up

Revision ID: 0015
Revises: 0014

`case_changes` holds each step of a case's life (isolation, release, lost contact, discharge,
transfer, death, agreement, file complete), proposed and decided. `appointments` are booked weekly
meetings. A family member may ask for appointment reminders (`appointment_reminders`, off for
everyone until they ask). A tip records when police took it up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "case_changes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=True),
        sa.Column("from_area_id", _ID, nullable=True),
        sa.Column("to_area_id", _ID, nullable=True),
        sa.Column("expected_release", sa.Date(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("proposed_by", _ID, nullable=False),
        sa.Column("proposed_at", _WHEN, nullable=False),
        sa.Column("decided_by", _ID, nullable=True),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        _fk("case_changes", "person_id", "persons"),
        _fk("case_changes", "from_area_id", "areas"),
        _fk("case_changes", "to_area_id", "areas"),
        _fk("case_changes", "proposed_by", "workers"),
        _fk("case_changes", "decided_by", "workers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_changes")),
    )
    op.create_index(op.f("ix_case_changes_person_id"), "case_changes", ["person_id"])
    op.create_index("ix_case_changes_open", "case_changes", ["decided_at", "kind"])
    op.create_table(
        "appointments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("starts_at", _WHEN, nullable=False),
        sa.Column("place", sa.String(length=30), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("cancelled_at", _WHEN, nullable=True),
        _fk("appointments", "person_id", "persons"),
        _fk("appointments", "worker_id", "workers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(op.f("ix_appointments_person_id"), "appointments", ["person_id"])
    op.create_index(op.f("ix_appointments_worker_id"), "appointments", ["worker_id"])
    op.create_index(op.f("ix_appointments_starts_at"), "appointments", ["starts_at"])
    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("appointment_reminders", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_up_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("taken_up_by", _ID, nullable=True))
        batch_op.create_foreign_key(op.f("fk_tips_taken_up_by_workers"), "workers", ["taken_up_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_tips_taken_up_by_workers"), type_="foreignkey")
        batch_op.drop_column("taken_up_by")
        batch_op.drop_column("taken_up_at")
    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.drop_column("appointment_reminders")
    op.drop_table("appointments")
    op.drop_table("case_changes")

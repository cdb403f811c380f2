"""a family member's consent to the privacy notice, with its date

Revision ID: 0014
Revises: 0013

`family_members.consented_at` is when the member agreed (同意) to the family channel's privacy notice.
Members linked before this revision keep NULL: they are shown the notice on their next message and
use the family features once they agree; nothing is assumed on their behalf.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.drop_column("consented_at")

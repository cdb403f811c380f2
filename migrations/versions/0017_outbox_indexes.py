"""outbox: a chat's unsent rows and the recently sent ones found by index, not by reading history

Revision ID: 0017
Revises: 0016

`ix_outbox_chat` gains `id`, so the claim's "an older row of this chat still to go?" check seeks
the chat's pending and sending rows in id order; `ix_outbox_sent` (status, sent_at) serves chat
hygiene's recently sent rows and the pruning of old ones (issue 15).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_outbox_chat", table_name="outbox")
    op.create_index("ix_outbox_chat", "outbox", ["chat_id", "status", "id"])
    op.create_index("ix_outbox_sent", "outbox", ["status", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_sent", table_name="outbox")
    op.drop_index("ix_outbox_chat", table_name="outbox")
    op.create_index("ix_outbox_chat", "outbox", ["chat_id", "status"])

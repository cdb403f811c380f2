"""drafts: a chat keeps one form per form and person (conversations keyed by id), each with an
expiry that is announced before it comes

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TTL = timedelta(hours=2)  # every form's idle time when this ran


def _old_table() -> sa.Table:
    return sa.Table(
        "conversations_old",
        sa.MetaData(),
        sa.Column("chat_id", sa.BigInteger()),
        sa.Column("dialog", sa.String(40)),
        sa.Column("step", sa.String(40)),
        sa.Column("data", sa.JSON()),
        sa.Column("nonce", sa.Integer()),
        sa.Column("prompt_message_id", sa.BigInteger()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the name would clash with the new table's
        op.drop_constraint("pk_conversations", "conversations", type_="primary")
    op.rename_table("conversations", "conversations_old")
    table = op.create_table(
        "conversations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("dialog", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.Integer(), nullable=False),
        sa.Column("prompt_message_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warning_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("chat_id", "dialog", "subject", name="uq_conversations_draft"),
    )
    assert table is not None
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_expires_at"), ["expires_at"], unique=False)
    # The one form each chat had becomes its active draft, about its person if it had chosen one.
    bind = op.get_bind()
    old = bind.execute(sa.select(_old_table())).mappings().all()
    if old:
        op.bulk_insert(
            table,
            [
                {
                    "chat_id": row["chat_id"],
                    "dialog": row["dialog"],
                    "subject": str((row["data"] or {}).get("person") or "")[:40],
                    "active": True,
                    "step": row["step"],
                    "data": row["data"] or {},
                    "nonce": row["nonce"],
                    "prompt_message_id": row["prompt_message_id"],
                    "started_at": row["started_at"],
                    "updated_at": row["updated_at"],
                    "expires_at": row["updated_at"] + _TTL,
                    "warned_at": None,
                    "warning_id": None,
                }
                for row in old
            ],
        )
    op.drop_table("conversations_old")


def downgrade() -> None:
    # One form per chat again: the active draft of each chat is kept, the others are dropped.
    op.execute("DELETE FROM conversations WHERE NOT active")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_expires_at"))
        batch_op.drop_index(batch_op.f("ix_conversations_chat_id"))
        batch_op.drop_constraint("uq_conversations_draft", type_="unique")
        batch_op.drop_constraint("pk_conversations", type_="primary")
        batch_op.drop_column("warning_id")
        batch_op.drop_column("warned_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("active")
        batch_op.drop_column("subject")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_conversations", ["chat_id"])

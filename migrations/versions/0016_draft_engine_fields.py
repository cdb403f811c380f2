"""drafts: the dialog engine's bookkeeping in its own columns, apart from the answers

Revision ID: 0016
Revises: 0015

A draft's `data` held the engine's own keys among the answers: `_h` (the steps answered), `_o`
(the values the current step offered), `_id` (the run of the form saving is keyed by), `_rv` (a step
opened from the confirm screen) and, briefly, `_key`. They become the columns `history`, `offered`,
`run_id` and `revisit`; the drafts open when this runs are moved over, so they go on after the
upgrade. The downgrade puts them back among the answers.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _drafts(*extra: sa.Column) -> sa.Table:
    return sa.Table(
        "conversations", sa.MetaData(), sa.Column("id", _ID), sa.Column("data", sa.JSON()), *extra
    )


def _engine_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("history", sa.JSON()),
        sa.Column("offered", sa.JSON()),
        sa.Column("run_id", sa.String(24)),
        sa.Column("revisit", sa.Boolean()),
    )


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("offered", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("run_id", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("revisit", sa.Boolean(), server_default=sa.false(), nullable=False))
    table = _drafts(*_engine_columns())
    bind = op.get_bind()
    for row in bind.execute(sa.select(table.c.id, table.c.data)).all():
        data: dict[str, Any] = dict(row.data or {})
        history, offered = data.pop("_h", None) or [], data.pop("_o", None) or []
        run_id, revisit = data.pop("_id", None), bool(data.pop("_rv", False))
        data.pop("_key", None)  # set just before saving, never meant to be kept
        bind.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(data=data, history=history, offered=offered, run_id=run_id, revisit=revisit)
        )


def downgrade() -> None:
    table = _drafts(*_engine_columns())
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(table.c.id, table.c.data, table.c.history, table.c.offered, table.c.run_id, table.c.revisit)
    ).all()
    for row in rows:
        data: dict[str, Any] = {**(row.data or {}), "_h": row.history or [], "_o": row.offered or []}
        if row.run_id is not None:
            data["_id"] = row.run_id
        if row.revisit:
            data["_rv"] = True
        bind.execute(table.update().where(table.c.id == row.id).values(data=data))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("revisit")
        batch_op.drop_column("run_id")
        batch_op.drop_column("offered")
        batch_op.drop_column("history")

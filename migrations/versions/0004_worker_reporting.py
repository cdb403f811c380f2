"""worker reporting: corrections point at the record they replace

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # A plain ADD COLUMN: batch mode would copy and drop `records`, which SQLite refuses (or
        # worse) while reviews and colour proposals point at it.
        op.execute(
            'ALTER TABLE records ADD COLUMN corrects_id INTEGER '
            'CONSTRAINT fk_records_corrects_id_records REFERENCES records (id)'
        )
    else:
        op.add_column(
            'records', sa.Column('corrects_id', sa.BigInteger(), nullable=True)
        )
        op.create_foreign_key(
            'fk_records_corrects_id_records', 'records', 'records', ['corrects_id'], ['id']
        )
    op.create_index('ix_records_corrects_id', 'records', ['corrects_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_corrects_id', table_name='records')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE records DROP COLUMN corrects_id')
    else:
        op.drop_constraint('fk_records_corrects_id_records', 'records', type_='foreignkey')
        op.drop_column('records', 'corrects_id')

"""audit_log: SQLite's INSERT OR REPLACE can no longer rewrite an entry

Revision ID: 0012
Revises: 0011

SQLite carries out `INSERT OR REPLACE` (and `REPLACE INTO`) on a primary key that exists by deleting
the old row and inserting the new one, and its delete does not fire the `BEFORE DELETE` trigger
(recursive triggers are off): the append-only triggers of 0001 let it rewrite any entry. An insert
that names an id already taken is refused before it happens. PostgreSQL needs nothing: its
`INSERT ... ON CONFLICT DO UPDATE` fires the row `UPDATE` trigger of 0001, which refuses.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            # IF NOT EXISTS: SQLite keeps DDL run before a transaction began, so a later revision
            # failing in the same upgrade leaves this trigger while the revision goes back to 0011.
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_log_no_replace")

"""sealed values bound to their row; a check value per key id

Revision ID: 0013
Revises: 0012

Until now a sealed value was bound to its field only: a ciphertext copied from one person's row to
another's opened there, as the other person's. Every value is re-sealed bound to its table, field
and row id (models.crypto, format 2), which needs the key ring: `gridcare db upgrade` passes it.
Each key id that opened values here gets a check value (key_checks), so a different key that calls
itself by the same id is refused from now on instead of sealing values nobody can open.
`tips.tipster_enc` may be NULL for the moment between a tip's insert and its sealing (its id first).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from models.crypto import UNBOUND, CryptoError, KeyRing, Slot, WrongKey

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sealed columns of this revision: (table, column, field). Frozen here: later ones are not this one's.
SEALED = {
    "persons": (("id_number_enc", "id_number"), ("phone_enc", "phone"), ("address_enc", "address")),
    "family_members": (("name_enc", "name"),),
    "tips": (("tipster_enc", "tipster"),),
}
BATCH = 1000


def _table(name: str) -> sa.Table:
    columns = [sa.Column(column, sa.LargeBinary()) for column, _ in SEALED[name]]
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.BigInteger(), primary_key=True), *columns)


def _ring() -> KeyRing | None:
    keys = context.config.attributes.get("keys") if context.config is not None else None
    return keys if isinstance(keys, KeyRing) else None


def upgrade() -> None:
    # Re-seal first: Python's sqlite3 opens its transaction at the first write of data, and DDL run
    # before that would stay done if a key turns out missing or wrong (PostgreSQL undoes it anyway).
    used = _reseal(op.get_bind(), _ring())
    op.create_table(
        "key_checks",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("check_value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_key_checks")),
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.alter_column("tipster_enc", existing_type=sa.LargeBinary(), nullable=True)
    if used:
        keys = _ring()
        assert keys is not None
        checks = sa.table("key_checks", sa.column("kid"), sa.column("check_value"))
        op.bulk_insert(checks, [{"kid": kid, "check_value": keys.check_value(kid)} for kid in sorted(used)])


def _reseal(bind: sa.Connection, keys: KeyRing | None) -> set[str]:
    """Re-seal every value of the unbound format for its row; the key ids that opened them."""
    used: set[str] = set()
    for name, columns in SEALED.items():
        table = _table(name)
        last_id = 0
        while True:
            rows = bind.execute(
                sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)
            ).all()
            if not rows:
                break
            last_id = rows[-1].id
            updates = []
            for row in rows:
                changes = {}
                for column, field in columns:
                    token = getattr(row, column)
                    if token is None or bytes(token)[:1] != UNBOUND:
                        continue
                    if keys is None:
                        raise CryptoError(
                            "migration 0013 re-seals the encrypted fields: run `gridcare db upgrade` "
                            "with GRIDCARE_SECRET_KEY set"
                        )
                    try:
                        plaintext = keys.open_unbound(bytes(token), field=field)
                    except WrongKey:
                        raise WrongKey(
                            f"{name}.{column} id={row.id} does not open under key {keys.kid_of(token)!r} "
                            "of GRIDCARE_SECRET_KEY: is it the key this database was sealed with?"
                        ) from None
                    except CryptoError as exc:
                        raise CryptoError(f"{name}.{column} id={row.id}: {exc}") from None
                    used.add(keys.kid_of(token))
                    changes[column] = keys.seal(plaintext, Slot(name, field, row.id))
                if changes:
                    updates.append({"row_id": row.id, **changes})
            _write(bind, table, updates)
    return used


def _write(bind: sa.Connection, table: sa.Table, updates: list[dict]) -> None:
    """One executemany per set of columns changed (most rows change the same ones)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for change in updates:
        groups.setdefault(tuple(sorted(k for k in change if k != "row_id")), []).append(change)
    for columns, changes in groups.items():
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values({column: sa.bindparam(column) for column in columns})
        )
        bind.execute(statement, changes)


def downgrade() -> None:
    # Unbinding would bring back what this revision closes: restore a backup taken before it.
    raise NotImplementedError("0013 cannot be undone: restore a backup made before it")

"""The migrations build exactly the schema the models declare, on both backends.

Alembic's autogenerate comparison of a freshly migrated database against `models.all.metadata`
must find nothing: a column, index, foreign key or type added to a model without its migration
(or the other way round) fails here, not in production on the first `gridcare db upgrade`.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from models.all import metadata


def test_a_migrated_database_has_the_models_schema(db_url: str) -> None:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []

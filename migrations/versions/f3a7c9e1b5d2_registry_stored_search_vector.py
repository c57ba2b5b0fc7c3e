"""registry_statements.search_vector (PostgreSQL): the statements' stems as a stored tsvector,
indexed, so that ranking reads it instead of computing to_tsvector again for every match

Revision ID: f3a7c9e1b5d2
Revises: e5b9c3d7a2f1
Create Date: 2026-12-06 02:00:00

"""

from alembic import op

revision = "f3a7c9e1b5d2"
down_revision = "e5b9c3d7a2f1"
branch_labels = None
depends_on = None

# SQLite keeps its FTS5 table (app.registry.models); only PostgreSQL changes.
OLD_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_registry_statements_terms_fts ON registry_statements "
    "USING gin (to_tsvector('simple', terms))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_registry_statements_terms_fts")
    op.execute(
        "ALTER TABLE registry_statements ADD COLUMN IF NOT EXISTS search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_registry_statements_terms_fts ON registry_statements "
        "USING gin (search_vector)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_registry_statements_terms_fts")
    op.execute("ALTER TABLE registry_statements DROP COLUMN IF EXISTS search_vector")
    op.execute(OLD_INDEX)

"""Per-item revision numbers for the référentiel editor's concurrency check

Revision ID: 9e2f6a1c7d43
Revises: c3a9d5e7f1b2
Create Date: 2026-12-05 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "9e2f6a1c7d43"
down_revision = "c3a9d5e7f1b2"
branch_labels = None
depends_on = None

TABLES = (
    "scale_levels",
    "activity_domains",
    "activities",
    "blocs",
    "evaluation_modalities",
    "competencies",
    "criteria",
)


# Plain ALTER TABLE on both engines (SQLite adds and drops a column in place since 3.35): a
# batch rebuild would drop tables other tables' foreign keys point to.


def upgrade():
    for table in TABLES:
        op.add_column(
            table, sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade():
    for table in TABLES:
        op.drop_column(table, "revision")

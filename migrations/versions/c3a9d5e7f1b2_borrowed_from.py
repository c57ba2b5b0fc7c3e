"""activities, blocs, competencies.borrowed_from: the register fiche a draft started from

Revision ID: c3a9d5e7f1b2
Revises: 74c0bfa0fb17
Create Date: 2026-12-05 09:55:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3a9d5e7f1b2"
down_revision = "74c0bfa0fb17"
branch_labels = None
depends_on = None

TABLES = ("activities", "blocs", "competencies")


# Plain ADD COLUMN: a batch copy of these tables would break the foreign keys pointing at them.
def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("borrowed_from", sa.String(length=20), nullable=True))


def downgrade():
    for table in TABLES:
        op.drop_column(table, "borrowed_from")

"""users.erased_at: when a person's identity was erased on request (pseudonym kept)

Revision ID: b7e4c1d9a2f6
Revises: 5b1e7c3d9a20
Create Date: 2026-12-05 09:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e4c1d9a2f6"
down_revision = "5b1e7c3d9a20"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops a column in place): a batch copy of `users` would
# break the foreign keys that point at it.
def upgrade():
    op.add_column("users", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("users", "erased_at")

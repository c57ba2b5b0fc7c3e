"""Dossier texts for the registration criteria the data cannot write

Revision ID: d4a8e2c6b1f9
Revises: d4e8a1c6b2f3
Create Date: 2026-12-05 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4a8e2c6b1f9"
down_revision = "d4e8a1c6b2f3"
branch_labels = None
depends_on = None

COLUMNS = (
    "insertion_comparison",
    "disability_adaptations",
    "assessment_procedures",
    "correspondences",
    "branch_involvement",
    "professionals_consulted",
    "transitions",
    "health_and_safety",
    "means",
)


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column(
            "dossier_texts", sa.Column(name, sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("dossier_texts", name)

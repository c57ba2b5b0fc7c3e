"""result_heads.disagreement: the flag a grid shows, kept by saves instead of recomputed

Revision ID: 3c5d2a9e41b7
Revises: 8ee2040a407d
Create Date: 2026-11-24 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3c5d2a9e41b7"
down_revision = "8ee2040a407d"
branch_labels = None
depends_on = None

# The same rule as app.assessment.services.disagreeing_cells, for the rows already there.
BACKFILL = """
UPDATE result_heads SET disagreement = (
    SELECT count(DISTINCT opinion.level_id) > 1 FROM results opinion
    WHERE opinion.level_id IS NOT NULL AND opinion.id IN (
        SELECT max(r.id) FROM results r
        WHERE r.enrolment_id = result_heads.enrolment_id
          AND r.criterion_id = result_heads.criterion_id
        GROUP BY r.assessor_id
    )
)
"""


def upgrade():
    with op.batch_alter_table("result_heads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("disagreement", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table("result_heads", schema=None) as batch_op:
        batch_op.drop_column("disagreement")

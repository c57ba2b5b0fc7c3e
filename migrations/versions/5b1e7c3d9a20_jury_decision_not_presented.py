"""bloc_decisions.decision: "not_presented" (non présenté) is a decision too

Revision ID: 5b1e7c3d9a20
Revises: 8d7302b94ba7
Create Date: 2026-12-05 09:40:00

"""

from alembic import op

revision = "5b1e7c3d9a20"
down_revision = "8d7302b94ba7"
branch_labels = None
depends_on = None

NAME = "ck_bloc_decisions_decision"
BEFORE = "decision IN ('validated', 'not_validated', 'deferred')"
AFTER = "decision IN ('validated', 'not_validated', 'deferred', 'not_presented')"


def upgrade():
    with op.batch_alter_table("bloc_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(op.f(NAME), AFTER)


def downgrade():
    op.execute("DELETE FROM bloc_decisions WHERE decision = 'not_presented'")
    with op.batch_alter_table("bloc_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(op.f(NAME), BEFORE)

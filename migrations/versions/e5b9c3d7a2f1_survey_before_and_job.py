"""survey_answers: the situation before the training, and the job held (title, ROME code,
working time, sector)

Revision ID: e5b9c3d7a2f1
Revises: d4a8e2c6b1f9
Create Date: 2026-12-05 12:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5b9c3d7a2f1"
down_revision = "d4a8e2c6b1f9"
branch_labels = None
depends_on = None

HORIZON = "ck_survey_answers_horizon"
HORIZON_BEFORE = "horizon IN ('6m', '2y')"
HORIZON_AFTER = "horizon IN ('before', '6m', '2y')"
JOB = "ck_survey_answers_job_only_when_employed"
JOB_RULE = (
    "(job_title = '' AND rome_code IS NULL AND working_time IS NULL AND sector = '')"
    " OR situation IN ('target_job', 'other_job')"
)


def upgrade() -> None:
    # survey_answers is no other table's foreign key target: a batch rebuild on SQLite is safe.
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("job_title", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("rome_code", sa.String(length=5), nullable=True))
        batch_op.add_column(
            sa.Column(
                "working_time",
                sa.Enum(
                    "full_time",
                    "part_time",
                    name="working_time",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("sector", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.drop_constraint(op.f(HORIZON), type_="check")
        batch_op.alter_column(
            "horizon", existing_type=sa.String(length=2), type_=sa.String(length=6)
        )
        batch_op.create_check_constraint(op.f(HORIZON), HORIZON_AFTER)
        batch_op.create_check_constraint(op.f(JOB), JOB_RULE)


def downgrade() -> None:
    op.execute("DELETE FROM survey_answers WHERE horizon = 'before'")
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(JOB), type_="check")
        batch_op.drop_constraint(op.f("ck_survey_answers_working_time"), type_="check")
        batch_op.drop_constraint(op.f(HORIZON), type_="check")
        batch_op.alter_column(
            "horizon", existing_type=sa.String(length=6), type_=sa.String(length=2)
        )
        batch_op.create_check_constraint(op.f(HORIZON), HORIZON_BEFORE)
        batch_op.drop_column("sector")
        batch_op.drop_column("working_time")
        batch_op.drop_column("rome_code")
        batch_op.drop_column("job_title")

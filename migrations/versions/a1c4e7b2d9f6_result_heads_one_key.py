"""result_heads: one composite foreign key, the head's result of its own cell, instead of four
(learner, criterion, result, level); results' cell index becomes unique to be its target

Revision ID: a1c4e7b2d9f6
Revises: f3a7c9e1b5d2
Create Date: 2026-12-06 04:30:00

"""

from alembic import op

revision = "a1c4e7b2d9f6"
down_revision = "f3a7c9e1b5d2"
branch_labels = None
depends_on = None

SINGLE_KEYS = [
    ("fk_result_heads_enrolment_id_enrolments", "enrolments", "enrolment_id"),
    ("fk_result_heads_criterion_id_criteria", "criteria", "criterion_id"),
    ("fk_result_heads_result_id_results", "results", "result_id"),
    ("fk_result_heads_level_id_scale_levels", "scale_levels", "level_id"),
]
CELL_KEY = "fk_result_heads_enrolment_id_results"
CELL_COLUMNS = ["enrolment_id", "criterion_id", "id"]


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_index("ix_results_cell")
        batch.create_index("ix_results_cell", CELL_COLUMNS, unique=True)
    with op.batch_alter_table("result_heads") as batch:
        for name, _table, _column in SINGLE_KEYS:
            batch.drop_constraint(name, type_="foreignkey")
        batch.create_foreign_key(
            CELL_KEY,
            "results",
            ["enrolment_id", "criterion_id", "result_id"],
            CELL_COLUMNS,
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("result_heads") as batch:
        batch.drop_constraint(CELL_KEY, type_="foreignkey")
        for name, table, column in SINGLE_KEYS:
            batch.create_foreign_key(name, table, [column], ["id"], ondelete="RESTRICT")
    with op.batch_alter_table("results") as batch:
        batch.drop_index("ix_results_cell")
        batch.create_index("ix_results_cell", CELL_COLUMNS, unique=False)

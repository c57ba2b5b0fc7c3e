"""rate counters (login and reset throttling) and two-factor authentication

Replaces login_throttles (read-then-write rows) by rate_counters (one atomic upsert per
attempt), and adds the TOTP columns of users and the recovery_codes table.

Revision ID: b7e1c4d2a9f0
Revises: b7e4c1d9a2f6
Create Date: 2026-12-05 09:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e1c4d2a9f0"
down_revision = "b7e4c1d9a2f6"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("login_throttles")
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("last_hit_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "hits >= 0 AND refused >= 0", name=op.f("ck_rate_counters_counts_positive")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    with op.batch_alter_table("rate_counters") as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counters_last_hit_at"), ["last_hit_at"])

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("recovery_codes") as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"])

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade():
    # Plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch copy of users would trip over the
    # foreign keys pointing at it.
    for column in ("totp_last_step", "totp_enabled_at", "totp_secret"):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
    with op.batch_alter_table("recovery_codes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
    op.drop_table("recovery_codes")
    with op.batch_alter_table("rate_counters") as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counters_last_hit_at"))
    op.drop_table("rate_counters")
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )

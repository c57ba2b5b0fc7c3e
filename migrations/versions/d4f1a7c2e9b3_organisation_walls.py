"""Organisations are walls: owners for certifications, jury sessions and audit events;
enrolment invitations; the withdrawal of a certification

Revision ID: d4f1a7c2e9b3
Revises: 22c230fb6c3b
Create Date: 2026-12-05 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4f1a7c2e9b3"
down_revision = "22c230fb6c3b"
branch_labels = None
depends_on = None


def _add_reference(table, column, target, *, index=False):
    """ADD COLUMN with its foreign key (no ON DELETE: SQLite does not report it for a column
    added in place), in place on SQLite too: a batch copy of these tables would break the
    foreign keys that point at them."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])
    if index:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade():
    _add_reference("certifications", "organisation_id", "organisations", index=True)
    _add_reference("jury_sessions", "organisation_id", "organisations", index=True)
    _add_reference("audit_events", "organisation_id", "organisations", index=True)
    op.add_column("enrolments", sa.Column("certification_withdrawn_on", sa.Date(), nullable=True))
    op.add_column(
        "enrolments", sa.Column("certification_withdrawal_reason", sa.Text(), nullable=True)
    )
    _add_reference("enrolments", "certification_withdrawn_by_id", "users")
    # The CHECK (reason with a withdrawal) needs a table copy on SQLite: the models declare it
    # and PostgreSQL gets it here; on SQLite the service is what enforces it for old databases.
    if op.get_context().dialect.name != "sqlite":
        op.create_check_constraint(
            "ck_enrolments_withdrawal_reason",
            "enrolments",
            "certification_withdrawn_on IS NULL OR "
            "length(trim(certification_withdrawal_reason)) > 0",
        )
    op.create_table(
        "enrolment_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_enrolment_invitations_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_enrolment_invitations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_enrolment_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_invitations")),
        sa.UniqueConstraint(
            "cohort_id", "user_id", name=op.f("uq_enrolment_invitations_cohort_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_enrolment_invitations_user_id"), "enrolment_invitations", ["user_id"]
    )

    # Backfill. Certifications: the only certifier organisation, if there is exactly one.
    op.execute(
        """
        UPDATE certifications SET organisation_id = (
            SELECT min(id) FROM organisations WHERE kind = 'certifier'
        )
        WHERE (SELECT count(*) FROM organisations WHERE kind = 'certifier') = 1
        """
    )
    # Jury sessions: the organisation of the cohorts presented, else the certification's owner,
    # else the one organisation whose cohorts follow the version.
    op.execute(
        """
        UPDATE jury_sessions SET organisation_id = COALESCE(
            (SELECT min(c.organisation_id) FROM jury_presentations p
               JOIN enrolments e ON e.id = p.enrolment_id
               JOIN cohorts c ON c.id = e.cohort_id
              WHERE p.jury_session_id = jury_sessions.id),
            (SELECT cert.organisation_id FROM framework_versions v
               JOIN certifications cert ON cert.id = v.certification_id
              WHERE v.id = jury_sessions.version_id),
            (SELECT min(c.organisation_id) FROM cohorts c
              WHERE c.version_id = jury_sessions.version_id
             HAVING count(DISTINCT c.organisation_id) = 1)
        )
        """
    )
    # Audit events: the organisation of the object when it has one, else the actor's only one.
    for object_type, owner in (
        ("cohorts", "SELECT organisation_id FROM cohorts WHERE id = audit_events.object_id"),
        ("organisations", "SELECT id FROM organisations WHERE id = audit_events.object_id"),
        (
            "enrolments",
            "SELECT c.organisation_id FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id "
            "WHERE e.id = audit_events.object_id",
        ),
        (
            "jury_sessions",
            "SELECT organisation_id FROM jury_sessions WHERE id = audit_events.object_id",
        ),
        (
            "framework_versions",
            "SELECT cert.organisation_id FROM framework_versions v "
            "JOIN certifications cert ON cert.id = v.certification_id "
            "WHERE v.id = audit_events.object_id",
        ),
    ):
        op.execute(
            f"UPDATE audit_events SET organisation_id = ({owner}) "
            f"WHERE object_type = '{object_type}'"
        )
    op.execute(
        """
        UPDATE audit_events SET organisation_id = (
            SELECT min(m.organisation_id) FROM memberships m WHERE m.user_id = audit_events.actor_id
            HAVING count(*) = 1
        )
        WHERE organisation_id IS NULL AND actor_id IS NOT NULL
        """
    )


def downgrade():
    op.drop_index(op.f("ix_enrolment_invitations_user_id"), table_name="enrolment_invitations")
    op.drop_table("enrolment_invitations")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint("ck_enrolments_withdrawal_reason", "enrolments", type_="check")
    for table, column, target, index in (
        ("enrolments", "certification_withdrawn_by_id", "users", False),
        ("audit_events", "organisation_id", "organisations", True),
        ("jury_sessions", "organisation_id", "organisations", True),
        ("certifications", "organisation_id", "organisations", True),
    ):
        if index:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
        if op.get_context().dialect.name != "sqlite":
            op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
        op.drop_column(table, column)
    op.drop_column("enrolments", "certification_withdrawal_reason")
    op.drop_column("enrolments", "certification_withdrawn_on")

"""What the fiche and the dossier need, as data: the RNCP number of a certification; objectives,
sectors, jobs, prerequisites, regulations, partners and code labels of a version; a bloc's
validation rule and validity; the modalities that evaluate each criterion

Revision ID: d4f8a2c6e1b3
Revises: 56223d71d80e
Create Date: 2026-12-05 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4f8a2c6e1b3"
down_revision = "56223d71d80e"
branch_labels = None
depends_on = None

VERSION_TEXTS = (
    "objectives_context",
    "sectors",
    "job_types",
    "entry_prerequisites",
    "validation_prerequisites",
    "regulations",
)


def upgrade():
    # Plain ALTER TABLE on both engines: a batch rebuild would drop tables that other tables'
    # foreign keys point to.
    op.add_column("certifications", sa.Column("rncp_number", sa.String(length=12), nullable=True))
    op.create_index(
        "ix_certifications_rncp_number", "certifications", ["rncp_number"], unique=True
    )
    for name in VERSION_TEXTS:
        op.add_column(
            "framework_versions",
            sa.Column(name, sa.Text(), server_default="", nullable=False),
        )
    op.add_column("framework_versions", sa.Column("regulated", sa.Boolean(), nullable=True))
    op.add_column(
        "framework_versions",
        sa.Column("partners", sa.JSON(), server_default="[]", nullable=False),
    )
    op.add_column(
        "framework_versions",
        sa.Column("code_labels", sa.JSON(), server_default="{}", nullable=False),
    )
    op.add_column(
        "blocs", sa.Column("validation_rule", sa.Text(), server_default="", nullable=False)
    )
    op.add_column("blocs", sa.Column("validity_years", sa.Integer(), nullable=True))
    op.add_column(
        "blocs",
        sa.Column("validity_unlimited", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "criterion_modalities",
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("modality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["criteria.id"],
            name=op.f("fk_criterion_modalities_criterion_id_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["modality_id"],
            ["evaluation_modalities.id"],
            name=op.f("fk_criterion_modalities_modality_id_evaluation_modalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("criterion_id", "modality_id", name=op.f("pk_criterion_modalities")),
    )
    op.create_index(
        op.f("ix_criterion_modalities_modality_id"),
        "criterion_modalities",
        ["modality_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # SQLite cannot add a CHECK to an existing table without a rebuild; the models and
        # the validation hold these rules there.
        op.create_check_constraint(
            op.f("ck_certifications_rncp_number_form"),
            "certifications",
            "rncp_number LIKE 'RNCP%'",
        )
        op.create_check_constraint(
            op.f("ck_framework_versions_regulations_when_stated"),
            "framework_versions",
            "regulated IS NOT NULL OR regulations = ''",
        )
        op.create_check_constraint(
            op.f("ck_blocs_validity_years_or_unlimited"),
            "blocs",
            "validity_years IS NULL OR "
            "(validity_years BETWEEN 1 AND 99 AND NOT validity_unlimited)",
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_blocs_validity_years_or_unlimited"), "blocs")
        op.drop_constraint(
            op.f("ck_framework_versions_regulations_when_stated"), "framework_versions"
        )
        op.drop_constraint(op.f("ck_certifications_rncp_number_form"), "certifications")
    op.drop_index(op.f("ix_criterion_modalities_modality_id"), table_name="criterion_modalities")
    op.drop_table("criterion_modalities")
    for name in ("validity_unlimited", "validity_years", "validation_rule"):
        op.drop_column("blocs", name)
    for name in ("code_labels", "partners", "regulated", *VERSION_TEXTS):
        op.drop_column("framework_versions", name)
    op.drop_index("ix_certifications_rncp_number", table_name="certifications")
    op.drop_column("certifications", "rncp_number")

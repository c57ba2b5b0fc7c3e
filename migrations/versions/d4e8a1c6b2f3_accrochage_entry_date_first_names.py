"""Accrochage identity: the enrolment's real entry date, first names as a list

Revision ID: d4e8a1c6b2f3
Revises: d4f1a7c2e9b3
Create Date: 2026-12-05 12:45:00

The first names were one text, split at export on commas or else on spaces; they become a
JSON list, split the same way so every person is declared as before. Apostrophes in names
become the straight one (app/validators.py says why).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "d4e8a1c6b2f3"
down_revision = "d4f1a7c2e9b3"
branch_labels = None
depends_on = None

# As app/validators.py normalize_person_name (a migration does not import the app).
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u00b4\u0060\u2032", "'"))


def _name(value):
    return " ".join(value.translate(_APOSTROPHES).split()) if value else value


def _split(first_names):
    """The first names as the exporter read them: by commas when there are, else by spaces."""
    separator = "," if "," in first_names else None
    return [_name(n) for n in first_names.split(separator) if _name(n)]


identities = sa.table(
    "learner_identities",
    sa.column("user_id", sa.Integer),
    sa.column("first_names", sa.String),
    sa.column("first_name_list", sa.JSON),
    sa.column("birth_name", sa.String),
    sa.column("usage_name", sa.String),
)


# Plain ALTER TABLE on both engines (SQLite adds, renames and drops columns in place): a batch
# rebuild would drop tables other tables' foreign keys point to.


def upgrade():
    op.add_column("enrolments", sa.Column("entered_on", sa.Date(), nullable=True))

    # NOT NULL from the start (a default for the rows already there, replaced just below):
    # SQLite cannot make a column NOT NULL later without rebuilding the table.
    op.add_column(
        "learner_identities",
        sa.Column("first_name_list", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            identities.c.user_id,
            identities.c.first_names,
            identities.c.birth_name,
            identities.c.usage_name,
        )
    ).all()
    for row in rows:
        connection.execute(
            identities.update()
            .where(identities.c.user_id == row.user_id)
            .values(
                first_name_list=_split(row.first_names or ""),
                birth_name=_name(row.birth_name),
                usage_name=_name(row.usage_name),
            )
        )
    op.drop_column("learner_identities", "first_names")
    op.execute("ALTER TABLE learner_identities RENAME COLUMN first_name_list TO first_names")


def downgrade():
    op.add_column(
        "learner_identities",
        sa.Column(
            "first_names_text", sa.String(200), nullable=False, server_default=sa.text("''")
        ),
    )
    connection = op.get_bind()
    table = sa.table(
        "learner_identities",
        sa.column("user_id", sa.Integer),
        sa.column("first_names", sa.JSON),
        sa.column("first_names_text", sa.String),
    )
    for row in connection.execute(sa.select(table.c.user_id, table.c.first_names)).all():
        names = row.first_names if isinstance(row.first_names, list) else json.loads(row.first_names)
        connection.execute(
            table.update()
            .where(table.c.user_id == row.user_id)
            .values(first_names_text=", ".join(names)[:200])
        )
    op.drop_column("learner_identities", "first_names")
    op.execute("ALTER TABLE learner_identities RENAME COLUMN first_names_text TO first_names")
    op.drop_column("enrolments", "entered_on")

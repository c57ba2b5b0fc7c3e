"""The national register as read in: fiches, their codes, blocs and statements.

A fiche is identified by its number (`RNCP34567`); a re-import replaces it whole when its
content changed (its `digest`), and marks it withdrawn when a newer export no longer has it.
Every line of text a copy could come from (title, activities, competencies, bloc titles) is one
`RegistryStatement`, whose `terms` (stems, see `app.registry.text`) feed the full-text index:
an FTS5 table on SQLite, a stored tsvector column and its GIN index on PostgreSQL, both made by
`create_search_index`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_column, utcnow


class CodeKind(enum.Enum):
    NSF = "nsf"
    ROME = "rome"
    FORMACODE = "formacode"


class StatementKind(enum.Enum):
    TITLE = "title"
    ACTIVITY = "activity"
    COMPETENCY = "competency"
    BLOC = "bloc"


class RegistryFiche(Base):
    """One certification of the national register, as its latest import read it."""

    __tablename__ = "registry_fiches"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 8", name="level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[int | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(sa.String(40), default="")
    end_date: Mapped[dt.date | None]
    certifiers: Mapped[str] = mapped_column(sa.Text, default="")
    activities: Mapped[str] = mapped_column(sa.Text, default="")
    sectors: Mapped[str] = mapped_column(sa.Text, default="")
    job_types: Mapped[str] = mapped_column(sa.Text, default="")
    digest: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    codes: Mapped[list[RegistryCode]] = relationship(
        back_populates="fiche", cascade="all, delete-orphan", passive_deletes=True
    )
    blocs: Mapped[list[RegistryBloc]] = relationship(
        back_populates="fiche",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RegistryBloc.position",
    )


class RegistryCode(Base):
    """A NSF, ROME or Formacode code of a fiche, with the label the register gives it."""

    __tablename__ = "registry_codes"
    __table_args__ = (sa.Index("ix_registry_codes_kind_code", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registry_fiches.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CodeKind] = mapped_column(enum_column(CodeKind, "registry_code_kind"))
    code: Mapped[str] = mapped_column(sa.String(20))
    label: Mapped[str] = mapped_column(sa.Text, default="")

    fiche: Mapped[RegistryFiche] = relationship(back_populates="codes")


class RegistryBloc(Base):
    """A bloc de compétences of a fiche."""

    __tablename__ = "registry_blocs"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registry_fiches.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.Text)
    modalities: Mapped[str] = mapped_column(sa.Text, default="")

    fiche: Mapped[RegistryFiche] = relationship(back_populates="blocs")
    statements: Mapped[list[RegistryStatement]] = relationship(
        back_populates="bloc", order_by="RegistryStatement.position", passive_deletes=True
    )


class RegistryStatement(Base):
    """One line of a fiche a référentiel could copy: its title, an activity, a competency."""

    __tablename__ = "registry_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registry_fiches.id", ondelete="CASCADE"), index=True
    )
    bloc_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registry_blocs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[StatementKind] = mapped_column(
        enum_column(StatementKind, "registry_statement_kind")
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    terms: Mapped[str] = mapped_column(sa.Text)

    bloc: Mapped[RegistryBloc | None] = relationship(back_populates="statements")


class RegistryTerm(Base):
    """How many statements of the register hold a stem: rare stems pick the candidates."""

    __tablename__ = "registry_terms"

    term: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    statements: Mapped[int]


class CorrespondenceKind(enum.Enum):
    TOTAL = "total"
    PARTIAL = "partial"
    NONE = "none"


class BlocCorrespondence(Base):
    """A coordinator's verdict on one of our blocs and a bloc of the register.

    Keyed by codes, not by the register's rows, which a re-import replaces; the titles are
    kept as they were read, so the dossier reads the same whatever the register says later.
    """

    __tablename__ = "bloc_correspondences"
    __table_args__ = (sa.UniqueConstraint("version_id", "bloc_code", "registry_bloc_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True
    )
    bloc_code: Mapped[str] = mapped_column(sa.String(40))
    fiche_number: Mapped[str] = mapped_column(sa.String(20))
    fiche_title: Mapped[str] = mapped_column(sa.Text)
    registry_bloc_code: Mapped[str] = mapped_column(sa.String(40))
    registry_bloc_title: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[CorrespondenceKind] = mapped_column(
        enum_column(CorrespondenceKind, "correspondence_kind")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- the full-text index, which the ORM's metadata cannot describe -------------------------------

FTS_TABLE = "registry_statements_fts"
PG_INDEX = "ix_registry_statements_terms_fts"

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "terms, content='registry_statements', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
# PostgreSQL: the stems as a stored tsvector (computed once per row as it is written, read as it
# is by the ranking instead of running to_tsvector again on every match), and its GIN index.
PG_VECTOR = "search_vector"
POSTGRES_DDL = (
    f"ALTER TABLE registry_statements ADD COLUMN IF NOT EXISTS {PG_VECTOR} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON registry_statements USING gin ({PG_VECTOR})",
)


def create_search_index(connection: sa.Connection) -> None:
    """Create the engine's full-text index over `registry_statements.terms`."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_DDL)
    else:
        for statement in POSTGRES_DDL:
            connection.exec_driver_sql(statement)


@contextmanager
def index_built_after(connection: sa.Connection) -> Iterator[None]:
    """PostgreSQL, a first load: the GIN index dropped while the statements are written and
    built once at the end, in the same transaction (on the bench's 1.4 million statements, the
    whole build takes 6.5 s and the first import went from 120 to 113 s). Elsewhere, and on
    SQLite, nothing changes.

    Dropping the index locks the statements until the import commits. The search and the copy
    check read the register's terms and fiches first, which a first load has not committed yet:
    they answer "nothing found" at once instead of waiting."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")
    yield
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    create_search_index(connection)


def rebuild_search_index(connection: sa.Connection) -> None:
    """Index again every statement (after rows were written behind the index's back, as a
    restore does). PostgreSQL's index follows its table by itself."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"  # noqa: S608 (a constant)
        )


def drop_search_index(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    else:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


def is_search_index(name: str | None) -> bool:
    """Whether a table, index or column name belongs to the full-text index (Alembic leaves
    it alone)."""
    return name is not None and (name.startswith(FTS_TABLE) or name in (PG_INDEX, PG_VECTOR))


@sa.event.listens_for(RegistryStatement.__table__, "after_create")
def _after_create(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    create_search_index(connection)


@sa.event.listens_for(RegistryStatement.__table__, "before_drop")
def _before_drop(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    drop_search_index(connection)

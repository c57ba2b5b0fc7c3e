"""Evaluation sessions and results: an append-only history, with the current value per cell."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from app.cohorts.models import Cohort, Enrolment
from app.db import Base, link_table, utcnow
from app.frameworks.models import Bloc, Competency, Criterion, EvaluationModality, ScaleLevel
from app.people.models import User

session_assessors = link_table(
    "session_assessors",
    ("session_id", "evaluation_sessions.id", "CASCADE"),
    ("user_id", "users.id", "CASCADE"),
)


class EvaluationSession(Base):
    """A dated evaluation of one bloc of a cohort, by one modality, with its assessors."""

    __tablename__ = "evaluation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("blocs.id", ondelete="RESTRICT"))
    modality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_modalities.id", ondelete="RESTRICT")
    )
    session_date: Mapped[dt.date]
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    bloc: Mapped[Bloc] = relationship()
    modality: Mapped[EvaluationModality | None] = relationship()
    assessors: Mapped[list[User]] = relationship(secondary=session_assessors)


class Result(Base):
    """One assessor's result for one learner on one criterion. Never updated nor deleted:
    a correction is a new row, and the latest row of a cell is its current value."""

    __tablename__ = "results"
    # Unique (as `id` is): the key a cell's head refers to, so that a head can only point at
    # a result of its own cell.
    __table_args__ = (
        sa.Index("ix_results_cell", "enrolment_id", "criterion_id", "id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="RESTRICT"))
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criteria.id", ondelete="RESTRICT"), index=True
    )
    # None records that the assessor cleared the cell.
    level_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scale_levels.id", ondelete="RESTRICT")
    )
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_sessions.id", ondelete="RESTRICT"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "web", "xlsx" or "bench": where the value was entered.
    source: Mapped[str] = mapped_column(sa.String(10), default="web")

    enrolment: Mapped[Enrolment] = relationship()
    criterion: Mapped[Criterion] = relationship()
    level: Mapped[ScaleLevel | None] = relationship()
    assessor: Mapped[User] = relationship()
    session: Mapped[EvaluationSession | None] = relationship()


class ResultHead(Base):
    """The current result of a cell (a learner × a criterion).

    Kept so that loading a grid reads one row per cell whatever the history's length, and so
    that a save can lock the cells it changes and detect a concurrent change (`result_id`
    differs from the one the grid was loaded with).
    """

    __tablename__ = "result_heads"
    # One key checks the head: its result is of this very cell, so the cell's learner and
    # criterion exist through it. One foreign key instead of four (learner, criterion,
    # result, level) halves what a save of a whole grid costs PostgreSQL in checks.
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["enrolment_id", "criterion_id", "result_id"],
            ["results.enrolment_id", "results.criterion_id", "results.id"],
            ondelete="RESTRICT",
        ),
    )

    enrolment_id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int]
    # Its result's level (a copy, so that loading a grid reads no result).
    level_id: Mapped[int | None]
    # The latest results of two assessors on the cell differ. Kept by each save for the cells
    # it writes, so that loading a grid never reads the cells' history.
    disagreement: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    result: Mapped[Result] = relationship()


class CompetencyComment(Base):
    """A trainer's comment on one learner's competency; append-only like results."""

    __tablename__ = "competency_comments"
    __table_args__ = (
        sa.Index("ix_competency_comments_cell", "enrolment_id", "competency_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="RESTRICT"))
    competency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("competencies.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_sessions.id", ondelete="RESTRICT")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()
    competency: Mapped[Competency] = relationship()
    author: Mapped[User] = relationship()


class EvidenceFile(Base):
    """A file attached to a learner's competency (pièce justificative), stored outside the
    web root under a random name; served only to people who may see that learner."""

    __tablename__ = "evidence_files"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolments.id", ondelete="RESTRICT"), index=True
    )
    competency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("competencies.id", ondelete="RESTRICT")
    )
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()
    competency: Mapped[Competency] = relationship()
    uploaded_by: Mapped[User] = relationship()


# --- invariant: results and comments are append-only ---------------------------------------------


class AppendOnlyError(Exception):
    """An attempt to change or delete a recorded result or comment."""


APPEND_ONLY = (Result, CompetencyComment)


@event.listens_for(Session, "before_flush")
def _refuse_result_changes(session: Session, flush_context: Any, instances: Any) -> None:
    """Results and comments are history: never updated nor deleted through the ORM."""
    for obj in chain(session.dirty, session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"{type(obj).__tablename__} : l'historique ne se modifie pas")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_result_changes(state: ORMExecuteState) -> None:
    """Nor through bulk UPDATE or DELETE statements."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in APPEND_ONLY:
        raise AppendOnlyError(f"{mapper.class_.__tablename__} : l'historique ne se modifie pas")

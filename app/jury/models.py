"""Jury sessions: learners presented, a decision per bloc, minutes; closed sessions are final."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime
from itertools import chain
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.cohorts.models import Enrolment
from app.db import Base, enum_column, utcnow
from app.frameworks.models import Bloc, FrameworkVersion
from app.people.models import Organisation, User


class Decision(enum.Enum):
    VALIDATED = "validated"  # validé
    NOT_VALIDATED = "not_validated"  # non validé
    DEFERRED = "deferred"  # ajourné
    NOT_PRESENTED = "not_presented"  # non présenté (the learner did not present this bloc)


jury_members = sa.Table(
    "jury_members",
    Base.metadata,
    sa.Column(
        "jury_session_id", sa.ForeignKey("jury_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class JurySession(Base):
    __tablename__ = "jury_sessions"
    __table_args__ = (
        sa.CheckConstraint(
            "(closed_at IS NULL) OR (closed_by_id IS NOT NULL)", name="closed_by_when_closed"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="RESTRICT"), index=True
    )
    # The organisation whose coordinator opened the session: its coordinators (and those of
    # the certifier owning the certification) run it. None only for sessions older than
    # owners that nothing tied to an organisation: the certifier's coordinators run those.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    session_date: Mapped[dt.date]
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    # Members from outside the application (professionals of the trade), one per line.
    external_members: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))

    version: Mapped[FrameworkVersion] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    members: Mapped[list[User]] = relationship(secondary=jury_members)
    presentations: Mapped[list[JuryPresentation]] = relationship(
        back_populates="jury_session", cascade="all, delete-orphan"
    )

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class JuryPresentation(Base):
    """A learner presented to a jury session."""

    __tablename__ = "jury_presentations"
    __table_args__ = (sa.UniqueConstraint("jury_session_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("jury_sessions.id", ondelete="CASCADE")
    )
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolments.id", ondelete="RESTRICT"), index=True
    )

    jury_session: Mapped[JurySession] = relationship(back_populates="presentations")
    enrolment: Mapped[Enrolment] = relationship()
    decisions: Mapped[list[BlocDecision]] = relationship(
        back_populates="presentation", cascade="all, delete-orphan"
    )


class BlocDecision(Base):
    """The jury's decision on one bloc for one presented learner."""

    __tablename__ = "bloc_decisions"
    __table_args__ = (
        sa.UniqueConstraint("presentation_id", "bloc_id"),
        sa.CheckConstraint(
            "proposed_validation = (decision = 'validated') OR length(trim(reason)) > 0",
            name="reason_when_departing_from_proposal",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    presentation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("jury_presentations.id", ondelete="CASCADE")
    )
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("blocs.id", ondelete="RESTRICT"), index=True)
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "decision"))
    # Whether the results proposed the bloc for validation when the decision was taken.
    proposed_validation: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    presentation: Mapped[JuryPresentation] = relationship(back_populates="decisions")
    bloc: Mapped[Bloc] = relationship()
    decided_by: Mapped[User] = relationship()


# --- invariant: a closed session is final --------------------------------------------------------


class JuryError(Exception):
    """A jury operation refused, with a message for the person who asked."""


class ClosedSessionError(JuryError):
    """A write to a closed session: its decisions are final."""


def _was_closed(jury_session: JurySession) -> bool:
    """Whether the session was closed before the pending changes (as stored)."""
    jury_session.closed_at  # noqa: B018  (loads the attribute if expired, so it has a history)
    history: Any = inspect(jury_session).attrs.closed_at.history
    before = [*history.unchanged, *history.deleted]
    return bool(before) and before[0] is not None


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_closed_sessions(
    session: Session, flush_context: Any, instances: Any
) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, BlocDecision):
            presentation = obj.presentation
        elif isinstance(obj, JuryPresentation):
            presentation = obj
        else:
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        jury_session = presentation.jury_session if presentation is not None else None
        if jury_session is not None and _was_closed(jury_session):
            raise ClosedSessionError(closed_message())


def closed_message() -> str:
    return _l("La session de jury est close : ses décisions ne peuvent plus changer.")

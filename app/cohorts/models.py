"""Pilot cohorts (promotions), their trainers, learners and the learners' identity data."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_column, link_table, utcnow
from app.frameworks.models import FrameworkVersion
from app.people.models import Organisation, User


class AccessRoute(enum.Enum):
    """Voies d'accès: the fiche's SI_JURY_* routes and the accrochage flow's modaliteAcces."""

    INITIAL_TRAINING = "formation_initiale"
    APPRENTICESHIP = "apprentissage"
    CONTINUING_TRAINING = "formation_continue"
    PROFESSIONALISATION = "contrat_professionnalisation"
    INDIVIDUAL_APPLICATION = "candidature_individuelle"
    VAE = "vae"


class EnrolmentStatus(enum.Enum):
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    CERTIFIED = "certified"


class Sex(enum.Enum):
    FEMALE = "F"
    MALE = "M"


cohort_trainers = link_table(
    "cohort_trainers",
    ("cohort_id", "cohorts.id", "CASCADE"),
    ("user_id", "users.id", "CASCADE"),
)


class Cohort(Base):
    """A promotion: one group of learners on one published framework version."""

    __tablename__ = "cohorts"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "name"),
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    access_route: Mapped[AccessRoute] = mapped_column(enum_column(AccessRoute, "access_route"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped on every edit; a form sent with an older value is refused (concurrent edit).
    revision: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship()
    version: Mapped[FrameworkVersion] = relationship()
    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainers, order_by=User.full_name)
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )


class Enrolment(Base):
    """A learner in a cohort (inscription), with their status."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "learner_id"),
        sa.CheckConstraint(
            "certification_withdrawn_on IS NULL OR "
            "length(trim(certification_withdrawal_reason)) > 0",
            name="withdrawal_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_column(EnrolmentStatus, "enrolment_status"), default=EnrolmentStatus.ENROLLED
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)  # typed into the app
    # The learner's real entry into the training, when it is not the cohort's start date
    # (the accrochage's dateInscription: `entry_date`). Never after `certified_on`: checked
    # where either is written (services) and again at export.
    entered_on: Mapped[dt.date | None]
    status_changed_at: Mapped[datetime | None]
    # The date of the jury that awarded the whole certification (all mandatory blocs).
    certified_on: Mapped[dt.date | None]
    # A certification withdrawn by the certifier (retrait), with its date and reason: the only
    # way besides a jury decision that a certified enrolment changes status.
    certification_withdrawn_on: Mapped[dt.date | None]
    certification_withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    certification_withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    certification_withdrawn_by: Mapped[User | None] = relationship(
        foreign_keys=[certification_withdrawn_by_id]
    )

    @property
    def entry_date(self) -> dt.date:
        """The date the learner entered the training: explicit, or the cohort's start."""
        return self.entered_on or self.cohort.start_date


class EnrolmentInvitation(Base):
    """An enrolment offered to a person who already has an account: another organisation may
    not take their account over, so the enrolment exists only once they accept it, logged in."""

    __tablename__ = "enrolment_invitations"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class LearnerIdentity(Base):
    """Civil identity needed by the certification flows; visible to coordinators only."""

    __tablename__ = "learner_identities"
    __table_args__ = (
        sa.CheckConstraint(
            "birth_commune_code IS NULL OR birth_country_code IS NULL",
            name="one_birth_place",
        ),
        sa.CheckConstraint(
            "birth_commune_code IS NULL OR length(birth_commune_code) = 5",
            name="commune_code_length",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    birth_name: Mapped[str] = mapped_column(sa.String(100))
    usage_name: Mapped[str | None] = mapped_column(sa.String(100))
    # Every first name of the civil register, in order, each as written ("Marie", "Anne"):
    # the accrochage sends them as prenom1, prenom2, prenom3.
    first_names: Mapped[list[str]] = mapped_column(sa.JSON)
    birth_date: Mapped[dt.date | None]
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, "sex"))
    # INSEE code of the birth commune (France), or INSEE code of the birth country (99xxx).
    birth_commune_code: Mapped[str | None] = mapped_column(sa.String(5))
    birth_country_code: Mapped[str | None] = mapped_column(sa.String(5))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped on every edit; a form sent with an older value is refused (concurrent edit).
    revision: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship()

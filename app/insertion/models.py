"""Insertion survey: what certified people did before the training, and do 6 months and
2 years after certification (criteria 1° and 2° of the registration)."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cohorts.models import Enrolment
from app.db import Base, enum_column, utcnow
from app.people.models import User


class Horizon(enum.Enum):
    BEFORE = "before"  # the situation before the training
    SIX_MONTHS = "6m"
    TWO_YEARS = "2y"


class Situation(enum.Enum):
    TARGET_JOB = "target_job"  # en emploi dans le métier visé
    OTHER_JOB = "other_job"  # en emploi, autre métier
    JOB_SEEKING = "job_seeking"  # en recherche d'emploi
    STUDYING = "studying"  # en poursuite d'études
    ALTERNANCE = "alternance"  # en alternance
    UNABLE_TO_WORK = "unable_to_work"  # dans l'incapacité de travailler
    ABROAD = "abroad"  # à l'étranger
    NO_ANSWER = "no_answer"  # pas de réponse


class ContractType(enum.Enum):
    CDI = "cdi"
    CDD = "cdd"
    INTERIM = "interim"
    SELF_EMPLOYED = "self_employed"  # indépendant, créateur d'activité
    CIVIL_SERVANT = "civil_servant"  # fonctionnaire
    OTHER = "other"


class WorkingTime(enum.Enum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"


# A ROME code: a letter of the fourteen big domains, then four digits (« K1802 »).
ROME_CODE_PATTERN = "^[A-N][0-9]{4}$"


class SurveyAnswer(Base):
    """One certified person's situation at one horizon. Corrections add a row; the latest
    row of (enrolment, horizon) is the answer."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        sa.Index("ix_survey_answers_cell", "enrolment_id", "horizon", "id"),
        sa.CheckConstraint(
            "contract_type IS NULL OR situation IN ('target_job', 'other_job')",
            name="contract_only_when_employed",
        ),
        sa.CheckConstraint(
            "(job_title = '' AND rome_code IS NULL AND working_time IS NULL AND sector = '')"
            " OR situation IN ('target_job', 'other_job')",
            name="job_only_when_employed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="RESTRICT"))
    horizon: Mapped[Horizon] = mapped_column(enum_column(Horizon, "horizon"))
    situation: Mapped[Situation] = mapped_column(enum_column(Situation, "situation"))
    contract_type: Mapped[ContractType | None] = mapped_column(
        enum_column(ContractType, "contract_type")
    )
    # The job held, when employed: its title as the person says it, its ROME code, working
    # time and the employer's sector.
    job_title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    rome_code: Mapped[str | None] = mapped_column(sa.String(5))
    working_time: Mapped[WorkingTime | None] = mapped_column(
        enum_column(WorkingTime, "working_time")
    )
    sector: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    answered_on: Mapped[dt.date | None]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()
    recorded_by: Mapped[User] = relationship()

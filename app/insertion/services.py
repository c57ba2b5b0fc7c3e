"""Insertion survey: record certified people's situations, read a promotion's answers and rates.

Answers are append-only: a correction adds a row, and the latest row of (enrolment, horizon)
is the answer. Services change the session; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.assessment.grid import cohort_enrolments
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.dates import format_date
from app.dates import today as local_today
from app.db import db
from app.insertion.models import (
    ROME_CODE_PATTERN,
    ContractType,
    Horizon,
    Situation,
    SurveyAnswer,
    WorkingTime,
)
from app.insertion.rates import EMPLOYED, InsertionRates, horizon_rates
from app.people import audit
from app.people.models import User


class SurveyError(Exception):
    """An answer refused, with messages for the person who typed it (lazy, in French)."""

    def __init__(self, *messages: Any) -> None:
        super().__init__(*messages)
        self.messages = messages

    def __str__(self) -> str:
        return " ".join(str(message) for message in self.messages)


class StaleAnswerError(SurveyError):
    """Someone recorded an answer since the form was loaded; nothing was recorded."""


@dataclass(frozen=True)
class AnswerInput:
    """One answer as typed: the situation, and the job held when employed."""

    situation: Situation
    answered_on: dt.date | None
    contract_type: ContractType | None = None
    job_title: str = ""
    rome_code: str | None = None
    working_time: WorkingTime | None = None
    sector: str = ""

    def same_as(self, answer: SurveyAnswer) -> bool:
        return (
            answer.situation,
            answer.answered_on,
            answer.contract_type,
            answer.job_title,
            answer.rome_code,
            answer.working_time,
            answer.sector,
        ) == (
            self.situation,
            self.answered_on,
            self.contract_type,
            self.job_title,
            self.rome_code,
            self.working_time,
            self.sector,
        )


@dataclass(frozen=True)
class SurveyRow:
    enrolment: Enrolment
    answers: dict[Horizon, SurveyAnswer | None]


@dataclass(frozen=True)
class CohortSurvey:
    cohort: Cohort
    rows: list[SurveyRow]
    rates: dict[Horizon, InsertionRates]


def certified_enrolments(cohort: Cohort) -> list[Enrolment]:
    """The certified people of a promotion, by name."""
    return cohort_enrolments(cohort.id, [EnrolmentStatus.CERTIFIED])


def latest_answers(enrolment_ids: list[int]) -> dict[tuple[int, Horizon], SurveyAnswer]:
    """The current answer of each (enrolment, horizon) that has one (one query)."""
    if not enrolment_ids:
        return {}
    latest = (
        sa.select(sa.func.max(SurveyAnswer.id))
        .where(SurveyAnswer.enrolment_id.in_(enrolment_ids))
        .group_by(SurveyAnswer.enrolment_id, SurveyAnswer.horizon)
    )
    rows = db.session.scalars(sa.select(SurveyAnswer).where(SurveyAnswer.id.in_(latest)))
    return {(a.enrolment_id, a.horizon): a for a in rows}


def cohort_survey(cohort: Cohort, today: dt.date | None = None) -> CohortSurvey:
    """A promotion's certified people, their current answers and the rates per horizon."""
    enrolments = certified_enrolments(cohort)
    answers = latest_answers([e.id for e in enrolments])
    rows = [SurveyRow(e, {h: answers.get((e.id, h)) for h in Horizon}) for e in enrolments]
    people = [(e.id, e.certified_on) for e in enrolments]
    today = today or local_today()
    rates = {h: horizon_rates(people, answers, h, today) for h in Horizon}
    return CohortSurvey(cohort, rows, rates)


def history(enrolment_id: int, horizon: Horizon) -> list[SurveyAnswer]:
    """Every answer recorded for one person and horizon, newest first."""
    return list(
        db.session.scalars(
            sa.select(SurveyAnswer)
            .where(SurveyAnswer.enrolment_id == enrolment_id, SurveyAnswer.horizon == horizon)
            .options(selectinload(SurveyAnswer.recorded_by))
            .order_by(SurveyAnswer.id.desc())
        )
    )


def current_answer(enrolment_id: int, horizon: Horizon) -> SurveyAnswer | None:
    return latest_answers([enrolment_id]).get((enrolment_id, horizon))


def check_answer(
    enrolment: Enrolment,
    horizon: Horizon,
    given: AnswerInput,
    today: dt.date | None = None,
) -> dict[str, str]:
    """Problems with an answer, per field name (empty when it can be recorded)."""
    errors: dict[str, str] = {}
    employed = given.situation in EMPLOYED
    if given.contract_type is not None and not employed:
        errors["contract_type"] = _l(
            "Le type de contrat ne s'indique que pour une personne en emploi."
        )
    if not employed:
        for name, value in (
            ("job_title", given.job_title),
            ("rome_code", given.rome_code),
            ("working_time", given.working_time),
            ("sector", given.sector),
        ):
            if value:
                errors[name] = _l("L'emploi ne se décrit que pour une personne en emploi.")
    if given.rome_code and not re.fullmatch(ROME_CODE_PATTERN, given.rome_code):
        errors["rome_code"] = _l(
            "Un code ROME s'écrit d'une lettre de A à N puis de quatre chiffres (ex. K1802)."
        )
    answered_on = given.answered_on
    if answered_on is None:
        if given.situation is not Situation.NO_ANSWER:
            errors["answered_on"] = _l("Indiquez la date de la réponse.")
    elif (
        horizon is not Horizon.BEFORE
        and enrolment.certified_on is not None
        and answered_on < enrolment.certified_on
    ):
        errors["answered_on"] = _l(
            "La date de réponse précède la certification (%(date)s).",
            date=format_date(enrolment.certified_on),
        )
    elif answered_on > (today or dt.date.today()):
        errors["answered_on"] = _l("La date de réponse ne peut pas être dans le futur.")
    return errors


def record_answer(
    enrolment: Enrolment,
    horizon: Horizon,
    given: AnswerInput,
    by: User,
    based_on: int | None,
) -> SurveyAnswer | None:
    """Append an answer (a correction when one exists). `based_on` is the id of the answer the
    form was loaded with (None: none yet); a newer one means someone else answered meanwhile.
    Returns None when the answer equals the current one (nothing recorded)."""
    if enrolment.status is not EnrolmentStatus.CERTIFIED:
        raise SurveyError(_l("L'enquête ne concerne que les personnes certifiées."))
    errors = check_answer(enrolment, horizon, given)
    if errors:
        raise SurveyError(*errors.values())
    # Serialise answers for one person, so two coordinators never both "correct" the same one.
    db.session.execute(
        sa.select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update()
    )
    current = current_answer(enrolment.id, horizon)
    if (current.id if current else None) != based_on:
        raise StaleAnswerError(
            _l(
                "Une autre réponse a été enregistrée entre-temps pour cette personne : rien n'a "
                "été enregistré. Vérifiez la réponse actuelle ci-dessous avant de corriger."
            )
        )
    if current is not None and given.same_as(current):
        return None
    answer = SurveyAnswer(
        enrolment=enrolment,
        horizon=horizon,
        situation=given.situation,
        contract_type=given.contract_type,
        answered_on=given.answered_on,
        job_title=given.job_title,
        rome_code=given.rome_code,
        working_time=given.working_time,
        sector=given.sector,
        recorded_by=by,
    )
    db.session.add(answer)
    details: dict[str, Any] = {
        "enrolment_id": enrolment.id,
        "horizon": horizon.value,
        "situation": given.situation.value,
        "contract_type": given.contract_type.value if given.contract_type else None,
        "answered_on": given.answered_on.isoformat() if given.answered_on else None,
        "job_title": given.job_title,
        "rome_code": given.rome_code,
        "working_time": given.working_time.value if given.working_time else None,
        "sector": given.sector,
        "corrects": current.id if current else None,
    }
    audit.record(
        "survey.correct" if current else "survey.answer",
        answer,
        f"Enquête d'insertion ({horizon.value}) : {given.situation.value}",
        actor=by,
        **details,
    )
    return answer

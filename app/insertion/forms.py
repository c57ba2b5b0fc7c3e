"""The insertion survey answer form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.cohorts.models import Enrolment
from app.glossary import CONTRACT_TYPE, SITUATION, WORKING_TIME
from app.insertion.models import ContractType, Horizon, Situation, WorkingTime
from app.insertion.services import AnswerInput, check_answer


def _upper_stripped(value: str | None) -> str:
    return (value or "").strip().upper()


def _stripped(value: str | None) -> str:
    return " ".join((value or "").split())


def _optional_int(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # never an answer id: the save is refused as stale


class AnswerForm(FlaskForm):
    situation = SelectField(
        _l("Situation"),
        choices=[SelectChoice("", _l("— choisir —"))]
        + [SelectChoice(s.value, SITUATION[s]) for s in Situation],
        validators=[InputRequired(message=_l("Choisissez la situation de la personne."))],
    )
    contract_type = SelectField(
        _l("Type de contrat"),
        choices=[SelectChoice("", _l("— non précisé —"))]
        + [SelectChoice(c.value, CONTRACT_TYPE[c]) for c in ContractType],
        default="",
    )
    job_title = StringField(
        _l("Intitulé de l'emploi"),
        filters=[_stripped],
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
    )
    rome_code = StringField(
        _l("Code ROME de l'emploi"),
        filters=[_upper_stripped],
        validators=[Length(max=5, message=_l("Un code ROME compte 5 caractères (ex. K1802)."))],
    )
    working_time = SelectField(
        _l("Temps de travail"),
        choices=[SelectChoice("", _l("— non précisé —"))]
        + [SelectChoice(w.value, WORKING_TIME[w.value]) for w in WorkingTime],
        default="",
    )
    sector = StringField(
        _l("Secteur de l'employeur"),
        filters=[_stripped],
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
    )
    answered_on = DateField(_l("Date de la réponse"), validators=[Optional()])
    based_on = HiddenField(filters=[_optional_int])

    def __init__(self, enrolment: Enrolment, horizon: Horizon, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enrolment = enrolment
        self.horizon = horizon

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the rules between fields (services.check_answer)."""
        ok = super().validate(extra_validators)
        if any(f.errors for f in self):
            return False
        for name, message in check_answer(self.enrolment, self.horizon, self.answer()).items():
            self[name].errors.append(str(message))
            ok = False
        return ok

    def answer(self) -> AnswerInput:
        return AnswerInput(
            situation=Situation(self.situation.data),
            answered_on=self.answered_on.data,
            contract_type=ContractType(self.contract_type.data)
            if self.contract_type.data
            else None,
            job_title=self.job_title.data or "",
            rome_code=self.rome_code.data or None,
            working_time=WorkingTime(self.working_time.data) if self.working_time.data else None,
            sector=self.sector.data or "",
        )

"""The insertion survey answer form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from app.cohorts.models import Enrolment
from app.glossary import CONTRACT_TYPE, SITUATION
from app.insertion.models import ContractType, Situation
from app.insertion.services import check_answer


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
    answered_on = DateField(_l("Date de la réponse"), validators=[Optional()])
    based_on = HiddenField(filters=[_optional_int])

    def __init__(self, enrolment: Enrolment, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enrolment = enrolment

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the rules between fields (services.check_answer)."""
        ok = super().validate(extra_validators)
        if self.situation.errors or self.contract_type.errors or self.answered_on.errors:
            return False
        for name, message in check_answer(
            self.enrolment, self.situation_value, self.contract_value, self.answered_on.data
        ).items():
            self[name].errors.append(str(message))
            ok = False
        return ok

    @property
    def situation_value(self) -> Situation:
        return Situation(self.situation.data)

    @property
    def contract_value(self) -> ContractType | None:
        return ContractType(self.contract_type.data) if self.contract_type.data else None

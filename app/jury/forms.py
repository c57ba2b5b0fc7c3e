"""Forms of the jury pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from app.frameworks.models import Bloc
from app.glossary import DECISION
from app.jury.models import Decision
from app.jury.services import departs, missing_reason_message
from app.people.forms import CheckboxesField


class SessionForm(FlaskForm):
    version = SelectField(
        _l("Version du référentiel"),
        coerce=int,
        validators=[InputRequired(message=_l("Choisissez la version du référentiel."))],
    )
    session_date = DateField(
        _l("Date de la session"),
        validators=[InputRequired(message=_l("Indiquez la date de la session."))],
    )
    location = StringField(
        _l("Lieu"),
        validators=[Length(max=200, message=_l("Le lieu tient en 200 caractères au plus."))],
    )
    members = CheckboxesField(_l("Membres du jury (comptes de l'application)"), coerce=int)
    external_members = TextAreaField(
        _l("Membres extérieurs"),
        validators=[Length(max=5000, message=_l("5 000 caractères au plus."))],
    )

    def validate_members(self, field: Field) -> None:
        if not field.data and not (self.external_members.data or "").strip():
            raise ValidationError(_l("Indiquez au moins un membre du jury."))


class PresentForm(FlaskForm):
    enrolments = CheckboxesField(_l("Apprenant·es à présenter"), coerce=int)

    def validate_enrolments(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choisissez au moins une personne."))


class EmptyForm(FlaskForm):
    """A POST-only button: CSRF and nothing else."""


DECISION_CHOICES = [SelectChoice("", _l("— pas de décision —"))] + [
    SelectChoice(d.value, DECISION[d.value]) for d in Decision
]


class DecisionForm(FlaskForm):
    """One decision and one reason per bloc; see `decision_form()`."""

    state = HiddenField()  # the decisions' fingerprint when the page was loaded

    blocs: Sequence[Bloc] = ()
    proposals: Mapping[int, bool] = {}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for bloc in self.blocs:
            value = self[f"decision_{bloc.id}"].data
            reason = self[f"reason_{bloc.id}"]
            proposed = self.proposals[bloc.id]
            if value and departs(Decision(value), proposed) and not (reason.data or "").strip():
                reason.errors.append(str(missing_reason_message(proposed)))
                ok = False
        return ok

    def choices(self) -> dict[int, tuple[Decision | None, str]]:
        return {
            bloc.id: (
                Decision(self[f"decision_{bloc.id}"].data)
                if self[f"decision_{bloc.id}"].data
                else None,
                self[f"reason_{bloc.id}"].data or "",
            )
            for bloc in self.blocs
        }


def decision_form(blocs: Sequence[Bloc], proposals: Mapping[int, bool], **kwargs: Any) -> Any:
    """A DecisionForm with a decision and a reason field for each bloc."""

    class Form(DecisionForm):
        pass

    for bloc in blocs:
        setattr(
            Form,
            f"decision_{bloc.id}",
            SelectField(
                _("Décision sur %(code)s", code=bloc.code), choices=DECISION_CHOICES, default=""
            ),
        )
        setattr(
            Form,
            f"reason_{bloc.id}",
            TextAreaField(
                _("Motif (%(code)s)", code=bloc.code),
                validators=[Length(max=5000, message=_l("5 000 caractères au plus."))],
            ),
        )
    Form.blocs = list(blocs)
    Form.proposals = dict(proposals)
    return Form(**kwargs)


class SessionDecisionForm(FlaskForm):
    """Every presented learner's decision and reason on every bloc; see
    `session_decision_form()`. The fields are named ``decision_P_B`` and ``reason_P_B``
    (presentation id, bloc id)."""

    state = HiddenField()  # the session's decisions' fingerprint when the page was loaded

    cells: Sequence[tuple[int, int]] = ()

    def choices(self) -> dict[tuple[int, int], tuple[Decision | None, str]]:
        out: dict[tuple[int, int], tuple[Decision | None, str]] = {}
        for p, b in self.cells:
            value = self[f"decision_{p}_{b}"].data
            out[(p, b)] = (Decision(value) if value else None, self[f"reason_{p}_{b}"].data or "")
        return out


def session_decision_form(
    cells: Sequence[tuple[int, int, str, str]], **kwargs: Any
) -> SessionDecisionForm:
    """A SessionDecisionForm for `cells`: (presentation id, bloc id, learner's name, bloc
    code), the last two naming the fields for people and error summaries."""

    class Form(SessionDecisionForm):
        pass

    for p, b, name, code in cells:
        setattr(
            Form,
            f"decision_{p}_{b}",
            SelectField(
                # gettext, not lazy: a lazy string counts as safe HTML, and a name is not.
                _("Décision de %(name)s sur %(code)s", name=name, code=code),
                choices=DECISION_CHOICES,
                default="",
            ),
        )
        setattr(
            Form,
            f"reason_{p}_{b}",
            TextAreaField(
                _("Motif (%(name)s, %(code)s)", name=name, code=code),
                validators=[Length(max=5000, message=_l("5 000 caractères au plus."))],
            ),
        )
    Form.cells = [(p, b) for p, b, _name, _code in cells]
    return Form(**kwargs)


class CloseConfirmForm(FlaskForm):
    """The confirmation step's button: CSRF and nothing else (the page says what it does)."""

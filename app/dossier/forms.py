"""The form of the dossier's texts: one per criterion the data cannot write (app/dossier/texts.py),
and one jury per access route."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, IntegerField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import HiddenInput

from app.cohorts.models import AccessRoute
from app.dossier.services import JuryRouteState, TextsInput
from app.dossier.texts import TEXT_KEYS, TEXTS
from app.errors import MAX_ID
from app.glossary import ACCESS_ROUTE

MAX_TEXT = 20_000


def _length() -> Length:
    return Length(max=MAX_TEXT, message=_l("Texte trop long (%(max)d caractères au plus)."))


class _CompositionWhenOpen:
    """A route declared open needs its jury's composition."""

    def __init__(self, route: AccessRoute) -> None:
        self.route = route

    def __call__(self, form: Any, field: Field) -> None:
        if form[open_field(self.route)].data and not (field.data or "").strip():
            raise ValidationError(
                _l("Décrivez la composition du jury de cette voie d'accès, ou décochez-la.")
            )


def open_field(route: AccessRoute) -> str:
    return f"open_{route.value}"


def composition_field(route: AccessRoute) -> str:
    return f"jury_{route.value}"


class DossierTextsForm(FlaskForm):
    revision = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0, max=MAX_ID)]
    )
    submit = SubmitField(_l("Enregistrer les textes"))

    def texts(self) -> TextsInput:
        return TextsInput(
            values={key: self[key].data or "" for key in TEXT_KEYS},
            jury={
                route: JuryRouteState(
                    open=bool(self[open_field(route)].data),
                    composition=self[composition_field(route)].data or "",
                )
                for route in AccessRoute
            },
        )


for _text in TEXTS:
    setattr(
        DossierTextsForm,
        _text.key,
        TextAreaField(
            _text.label,
            validators=[_length()],
            description=_text.help,
            render_kw={"rows": _text.rows},
        ),
    )

for _route in AccessRoute:
    setattr(
        DossierTextsForm,
        open_field(_route),
        BooleanField(_l("Voie d'accès ouverte : %(route)s", route=ACCESS_ROUTE[_route.value])),
    )
    setattr(
        DossierTextsForm,
        composition_field(_route),
        TextAreaField(
            _l("Composition du jury : %(route)s", route=ACCESS_ROUTE[_route.value]),
            validators=[_length(), _CompositionWhenOpen(_route)],
            render_kw={"rows": 4},
        ),
    )

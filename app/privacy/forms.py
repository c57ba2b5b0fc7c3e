"""The erasure confirmation: a box to tick, so nothing is erased by a stray click."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("J'ai compris : l'effacement est définitif et ne peut pas être annulé."),
        validators=[DataRequired(_l("Cochez la case pour confirmer l'effacement."))],
    )
    submit = SubmitField(_l("Effacer les données personnelles"))

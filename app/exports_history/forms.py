"""Forms to start an export from the web."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from app.people.forms import CheckboxesField


class FicheExportForm(FlaskForm):
    version = SelectField(
        _l("Version du référentiel"),
        coerce=int,
        validators=[InputRequired(_l("Choisissez une version du référentiel."))],
    )
    submit = SubmitField(_l("Produire la fiche"))


class AccrochageExportForm(FlaskForm):
    version = SelectField(
        _l("Version du référentiel"),
        coerce=int,
        validators=[InputRequired(_l("Choisissez une version du référentiel."))],
    )
    cohorts = CheckboxesField(_l("Promotions"), coerce=int)
    test_file = BooleanField(
        _l("Fichier de test (possible avant l'attribution du numéro RNCP, à ne pas envoyer)")
    )
    submit = SubmitField(_l("Produire le flux d'accrochage"))

    def __init__(self, *args: Any, cohort_versions: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # cohort id → version id, for the cohorts offered
        self.cohort_versions = cohort_versions

    def validate_cohorts(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError(_l("Choisissez au moins une promotion."))
        if any(self.cohort_versions.get(c) != self.version.data for c in field.data):
            raise ValidationError(
                _l("Choisissez des promotions qui suivent la version du référentiel choisie.")
            )


class DossierExportForm(AccrochageExportForm):
    """The dossier: a version and, optionally, pilot cohorts following it."""

    test_file = None
    submit = SubmitField(_l("Produire le dossier de certification"))

    def validate_cohorts(self, field: CheckboxesField) -> None:
        if any(self.cohort_versions.get(c) != self.version.data for c in field.data or []):
            raise ValidationError(
                _l("Choisissez des promotions qui suivent la version du référentiel choisie.")
            )

"""The public form to check an attestation's code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from app.progress.attestations import normalise_code


class VerifyForm(FlaskForm):
    code = StringField(
        _l("Code de vérification"),
        validators=[DataRequired(_l("Saisissez le code imprimé sur l'attestation."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )

    def validate_code(self, field: StringField) -> None:
        if normalise_code(field.data or "") is None:
            raise ValidationError(
                _l(
                    "Ce code n'a pas la bonne forme : 16 lettres et chiffres, par exemple "
                    "7K2M-Q9RT-4XW8-HC3N."
                )
            )

    @property
    def canonical(self) -> str:
        return normalise_code(self.code.data or "") or ""

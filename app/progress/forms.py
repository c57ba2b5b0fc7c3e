"""The public form to check an attestation's code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from app.progress.attestations import normalise_code

MAX_BADGE_BYTES = 256 * 1024


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


class BadgeVerifyForm(FlaskForm):
    """A badge to check, pasted or uploaded (either one)."""

    credential = TextAreaField(
        _l("Contenu du badge (JSON)"),
        render_kw={"rows": 8, "spellcheck": "false", "autocomplete": "off"},
    )
    file = FileField(
        _l("Ou le fichier du badge (.json)"),
        render_kw={"accept": ".json,application/json,application/ld+json"},
    )

    def validate_credential(self, field: TextAreaField) -> None:
        if not (field.data or "").strip() and not self.file.data:
            raise ValidationError(_l("Collez le contenu du badge ou choisissez son fichier."))

    @property
    def text(self) -> str:
        """The badge as text: the uploaded file when there is one, else what was pasted."""
        upload = self.file.data
        if upload:
            raw = upload.read(MAX_BADGE_BYTES + 1)
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return "\x00"  # not text: the verifier says it is not JSON
        return self.credential.data or ""

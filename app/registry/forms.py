"""The register's search form (a GET form: nothing to protect from forgery)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app.frameworks.forms import DraftTargetForm, text_field


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Mots"), validators=[Optional(), Length(max=200)])
    rome = StringField(
        _l("Code ROME"),
        validators=[
            Optional(),
            Regexp(
                r"^[A-Za-z]\d{4}$", message=_l("Un code ROME : une lettre et 4 chiffres (K1802).")
            ),
        ],
    )
    nsf = StringField(_l("Code NSF"), validators=[Optional(), Length(max=10)])
    formacode = StringField(
        _l("Formacode"),
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("Un Formacode : 5 chiffres."))],
    )
    niveau = IntegerField(_l("Niveau"), validators=[Optional(), NumberRange(min=1, max=8)])
    inactives = BooleanField(_l("Inclure les fiches inactives"))


class CorrespondenceForm(FlaskForm):
    """The verdict on one of our blocs against one bloc of the register."""

    bloc_code = HiddenField(validators=[DataRequired(), Length(max=40)])
    fiche_number = HiddenField(validators=[DataRequired(), Length(max=20)])
    registry_bloc_code = HiddenField(validators=[DataRequired(), Length(max=40)])
    kind = RadioField(
        _l("Correspondance"),
        choices=[
            SelectChoice("total", _l("totale")),
            SelectChoice("partial", _l("partielle")),
            SelectChoice("none", _l("aucune")),
        ],
        validators=[DataRequired(message=_l("Choisissez totale, partielle ou aucune."))],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class BorrowForm(DraftTargetForm):
    """Open a draft référentiel from a fiche: which certification, which label, whose."""

    certifier_name = text_field(_l("Nom du certificateur"))


class ImportForm(FlaskForm):
    """Upload France Compétences' export (the ZIP, or its XML)."""

    export = FileField(
        _l("Export du registre (ZIP ou XML)"),
        validators=[
            FileRequired(_l("Choisissez le fichier de l'export.")),
            FileAllowed(["zip", "xml"], _l("Un fichier .zip ou .xml est attendu.")),
        ],
    )

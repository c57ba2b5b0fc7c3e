"""Forms of organisations, cohorts, enrolments, identities and the learner import."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from app.cohorts import importer, services
from app.cohorts.models import AccessRoute, EnrolmentStatus, Sex
from app.db import db
from app.errors import MAX_ID
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.glossary import ACCESS_ROUTE, ENROLMENT_STATUS, ORGANISATION_KIND, SEX
from app.people.models import Organisation, OrganisationKind
from app.validators import (
    commune_code_problem,
    country_code_problem,
    is_valid_email,
    is_valid_person_name,
    is_valid_siret,
    normalize_insee_code,
    normalize_person_name,
)


def _strip(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _person_name(value: Any) -> Any:
    return normalize_person_name(value) if isinstance(value, str) else value


def _insee(value: Any) -> Any:
    return normalize_insee_code(value) if isinstance(value, str) else value


def _digits_only(value: Any) -> Any:
    """SIRETs are often typed in groups: "123 456 789 00012"."""
    return re.sub(r"[\s.]", "", value) if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """An empty form: the CSRF token of a POST-only button."""


# --- organisations -----------------------------------------------------------------------------


class OrganisationForm(FlaskForm):
    name = StringField(_l("Nom"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Type"),
        choices=[
            SelectChoice(kind.value, ORGANISATION_KIND[kind.value]) for kind in OrganisationKind
        ],
        default=OrganisationKind.TRAINING.value,
    )
    siret = StringField(
        _l("SIRET"),
        filters=[_digits_only],
        validators=[DataRequired()],
        description=_l("14 chiffres, espaces permis."),
    )
    submit = SubmitField(_l("Créer l'organisme"))

    def validate_name(self, field: Field) -> None:
        if db.session.scalar(sa.select(Organisation.id).where(Organisation.name == field.data)):
            raise ValidationError(_l("Un organisme porte déjà ce nom."))

    def validate_siret(self, field: Field) -> None:
        if not is_valid_siret(field.data):
            raise ValidationError(
                _l("SIRET invalide : 14 chiffres dont le dernier est une clé de contrôle.")
            )
        if db.session.scalar(sa.select(Organisation.id).where(Organisation.siret == field.data)):
            raise ValidationError(_l("Un organisme avec ce SIRET existe déjà."))


# --- cohorts -----------------------------------------------------------------------------------


class _CohortFields(FlaskForm):
    name = StringField(
        _l("Nom de la promotion"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    start_date = DateField(_l("Date de début"), validators=[InputRequired()])
    end_date = DateField(_l("Date de fin"), validators=[InputRequired()])
    access_route = SelectField(
        _l("Voie d'accès"),
        choices=[SelectChoice(route.value, ACCESS_ROUTE[route.value]) for route in AccessRoute],
    )

    def validate_end_date(self, field: Field) -> None:
        start = self.start_date.data
        if start is not None and field.data is not None and field.data < start:
            raise ValidationError(_l("La date de fin doit suivre la date de début."))


class CohortForm(_CohortFields):
    """A new cohort; `organisation_id` among the coordinator's, a published version."""

    organisation_id = SelectField(_l("Organisme de formation"), coerce=int, validate_choice=False)
    version_id = SelectField(_l("Version du référentiel"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Ouvrir la promotion"))

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation],
        versions: list[FrameworkVersion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {org.id: org for org in organisations}
        self.organisation_id.choices = [SelectChoice(org.id, org.name) for org in organisations]
        self.version_id.choices = [
            SelectChoice(v.id, f"{v.title} — {v.label} ({v.certification.code})") for v in versions
        ]

    def validate_organisation_id(self, field: Field) -> None:
        if field.data not in self.organisations:
            raise ValidationError(_l("Choisissez l'un de vos organismes."))

    def validate_version_id(self, field: Field) -> None:
        version = db.session.get(FrameworkVersion, field.data) if field.data else None
        if version is None or version.status is not VersionStatus.PUBLISHED:
            raise ValidationError(
                _l("Choisissez une version publiée du référentiel (pas un brouillon).")
            )
        self.version = version


class CohortEditForm(_CohortFields):
    revision = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0, max=MAX_ID)]
    )
    submit = SubmitField(_l("Enregistrer"))


class AssignTrainerForm(FlaskForm):
    user_id = SelectField(_l("Formateur·rice"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Affecter"))

    def __init__(self, *args: Any, trainers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trainers = {user.id: user for user in trainers}
        self.user_id.choices = [SelectChoice(user.id, user.full_name) for user in trainers]

    def validate_user_id(self, field: Field) -> None:
        if field.data not in self.trainers:
            raise ValidationError(_l("Choisissez un·e formateur·rice de l'un de vos organismes."))


class StatusForm(FlaskForm):
    """The statuses set by hand: "certified" comes from a jury decision only."""

    status = SelectField(
        _l("Statut"),
        choices=[
            SelectChoice(status.value, ENROLMENT_STATUS[status.value])
            for status in EnrolmentStatus
            if status is not EnrolmentStatus.CERTIFIED
        ],
    )
    submit = SubmitField(_l("Changer"))


class WithdrawCertificationForm(FlaskForm):
    """The withdrawal (retrait) of a certification a jury awarded, with its reason."""

    withdrawn_on = DateField(
        _l("Date du retrait"),
        validators=[InputRequired(message=_l("Indiquez la date du retrait."))],
    )
    reason = TextAreaField(
        _l("Motif du retrait"),
        validators=[
            InputRequired(message=_l("Indiquez le motif du retrait de la certification.")),
            Length(max=2000, message=_l("Le motif tient en 2000 caractères au plus.")),
        ],
    )
    submit = SubmitField(_l("Retirer la certification"))

    def validate_reason(self, field: Field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Indiquez le motif du retrait de la certification."))


class EntryDateForm(FlaskForm):
    """A learner's real entry into the training (blank: the cohort's start date)."""

    entered_on = DateField(
        _l("Date d'entrée en formation"),
        validators=[Optional()],
        description=_l(
            "Date déclarée à la Caisse des Dépôts (date d'inscription) ; laissez vide pour "
            "la date de début de la promotion."
        ),
    )
    submit = SubmitField(_l("Enregistrer la date d'entrée"))


# --- learners ----------------------------------------------------------------------------------


def _check_name(field: Field) -> None:
    if field.data and not is_valid_person_name(field.data):
        raise ValidationError(
            _l("Seuls les lettres, espaces, apostrophes, traits d'union et points sont acceptés.")
        )


class IdentityForm(FlaskForm):
    """A learner's names and, optionally, their birth data (coordinators only)."""

    # One field per first name, as the civil register lists them (the accrochage sends them
    # as prenom1, prenom2, prenom3; a fourth and later ones go with the third).
    first_name_1 = StringField(
        _l("Premier prénom"),
        filters=[_person_name],
        validators=[DataRequired(), Length(max=importer.FIRST_NAME_MAX)],
        description=_l("Un prénom par case, dans l'ordre de l'état civil."),
    )
    first_name_2 = StringField(
        _l("Deuxième prénom"),
        filters=[_person_name],
        validators=[Optional(), Length(max=importer.FIRST_NAME_MAX)],
    )
    first_name_3 = StringField(
        _l("Troisième prénom"),
        filters=[_person_name],
        validators=[Optional(), Length(max=importer.FIRST_NAME_MAX)],
    )
    first_name_4 = StringField(
        _l("Quatrième prénom"),
        filters=[_person_name],
        validators=[Optional(), Length(max=importer.FIRST_NAME_MAX)],
    )
    birth_name = StringField(
        _l("Nom de naissance"),
        filters=[_person_name],
        validators=[DataRequired(), Length(max=importer.NAME_MAX)],
    )
    usage_name = StringField(
        _l("Nom d'usage"),
        filters=[_person_name],
        validators=[Optional(), Length(max=importer.NAME_MAX)],
        description=_l("Si différent du nom de naissance."),
    )
    birth_date = DateField(_l("Date de naissance"), validators=[Optional()])
    sex = SelectField(
        _l("Sexe"),
        choices=[
            SelectChoice("", _l("non renseigné")),
            *(SelectChoice(s.value, SEX[s.value]) for s in Sex),
        ],
        default="",
    )
    birth_commune_code = StringField(
        _l("Code INSEE de la commune de naissance"),
        filters=[_insee],
        validators=[Optional()],
        description=_l("Personnes nées en France : 5 caractères, par exemple 75056 ou 2A004."),
    )
    birth_country_code = StringField(
        _l("Code INSEE du pays de naissance"),
        filters=[_insee],
        validators=[Optional()],
        description=_l("Personnes nées à l'étranger : 99 suivi de 3 chiffres, par exemple 99350."),
    )
    revision = IntegerField(
        widget=HiddenInput(), default=0, validators=[Optional(), NumberRange(min=0, max=MAX_ID)]
    )
    submit = SubmitField(_l("Enregistrer"))

    def validate_first_name_1(self, field: Field) -> None:
        _check_name(field)

    def validate_first_name_2(self, field: Field) -> None:
        _check_name(field)

    def validate_first_name_3(self, field: Field) -> None:
        _check_name(field)

    def validate_first_name_4(self, field: Field) -> None:
        _check_name(field)

    FIRST_NAME_FIELDS = ("first_name_1", "first_name_2", "first_name_3", "first_name_4")

    @property
    def first_names(self) -> list[str]:
        """The first names typed, in order, blanks left out."""
        return [self[name].data for name in self.FIRST_NAME_FIELDS if self[name].data]

    @staticmethod
    def first_name_data(first_names: list[str]) -> dict[str, str]:
        """Form data for stored first names (a fifth and later ones join the fourth)."""
        names = [*first_names[:3], " ".join(first_names[3:])] if first_names else []
        return {f"first_name_{i}": name for i, name in enumerate(names, 1) if name}

    def validate_birth_name(self, field: Field) -> None:
        _check_name(field)

    def validate_usage_name(self, field: Field) -> None:
        _check_name(field)

    def validate_birth_date(self, field: Field) -> None:
        if field.data is None:
            return
        message = importer.birth_date_problem(field.data, dt.date.today())
        if message:
            raise ValidationError(message)

    def validate_birth_commune_code(self, field: Field) -> None:
        problem = commune_code_problem(field.data) if field.data else None
        if problem:
            raise ValidationError(problem)

    def validate_birth_country_code(self, field: Field) -> None:
        if not field.data:
            return
        problem = country_code_problem(field.data)
        if problem:
            raise ValidationError(problem)
        if self.birth_commune_code.data:
            raise ValidationError(
                _l(
                    "Indiquez soit la commune de naissance (en France), soit le pays de "
                    "naissance (à l'étranger), pas les deux."
                )
            )

    @property
    def sex_value(self) -> Sex | None:
        return Sex(self.sex.data) if self.sex.data else None

    def identity_data(self) -> services.IdentityData:
        """The civil identity as typed (empty optional fields as None)."""
        return services.IdentityData(
            first_names=self.first_names,
            birth_name=self.birth_name.data,
            usage_name=self.usage_name.data or None,
            birth_date=self.birth_date.data,
            sex=self.sex_value,
            birth_commune_code=self.birth_commune_code.data or None,
            birth_country_code=self.birth_country_code.data or None,
        )

    def learner_data(self, email: str) -> importer.LearnerData:
        return importer.LearnerData(email=email, **asdict(self.identity_data()))


class LearnerForm(IdentityForm):
    """Enrol one learner: their e-mail, names and optional identity."""

    email = StringField(
        _l("Adresse e-mail"),
        filters=[_strip, _lower],
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off", "type": "email"},
    )
    # A new enrolment has no revision.
    revision = None
    submit = SubmitField(_l("Inscrire"))

    def validate_email(self, field: Field) -> None:
        if not is_valid_email(field.data):
            raise ValidationError(_l("Adresse e-mail invalide."))


# --- import ------------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    spreadsheet = FileField(
        _l("Fichier CSV ou XLSX"),
        validators=[FileRequired(_l("Choisissez un fichier."))],
        render_kw={"accept": ".csv,.xlsx"},
    )
    submit = SubmitField(_l("Vérifier le fichier"))


class ConfirmImportForm(FlaskForm):
    # The stored file's key; the file is read and checked again on confirmation.
    upload = HiddenField(validators=[DataRequired()])
    # The name the file had, for the message and the audit log only.
    filename = HiddenField(validators=[Optional(), Length(max=255)])
    submit = SubmitField(_l("Confirmer l'import"))

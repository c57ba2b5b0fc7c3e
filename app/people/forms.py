"""Forms of the accounts pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.people import passwords, services
from app.people.models import Role, User
from app.validators import fits

ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinateur·rice"),
    Role.TRAINER: _l("Formateur·rice / évaluateur·rice"),
    Role.LEARNER: _l("Apprenant·e"),
    Role.JURY: _l("Membre du jury"),
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _email(value: Any) -> Any:
    return services.normalise_email(value) if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A POST-only button: just the CSRF token."""


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (the forms of every domain use it)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = StringField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), fits(User.email)],
        filters=[_email],
        render_kw={"autocomplete": "username", "type": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[InputRequired(_l("Indiquez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Se connecter"))


def _new_password_field() -> PasswordField:
    return PasswordField(
        _l("Nouveau mot de passe"),
        validators=[InputRequired(_l("Choisissez un mot de passe."))],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("Confirmez le nouveau mot de passe"),
        validators=[
            InputRequired(_l("Saisissez le mot de passe une deuxième fois.")),
            EqualTo("new_password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class _NewPasswordForm(FlaskForm):
    """A form for the person `user`: checks `new_password` against the rules for them."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_new_password(self, field: PasswordField) -> None:
        problems = passwords.password_problems(
            field.data or "", email=self.user.email, name=self.user.full_name
        )
        if problems:
            raise ValidationError(" ".join(problems))


class SetPasswordForm(_NewPasswordForm):
    new_password = _new_password_field()
    confirm = _confirm_field()
    submit = SubmitField(_l("Enregistrer le mot de passe"))


class ChangePasswordForm(_NewPasswordForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[InputRequired(_l("Indiquez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field()
    confirm = _confirm_field()
    submit = SubmitField(_l("Changer le mot de passe"))

    def validate_current_password(self, field: PasswordField) -> None:
        if not passwords.verify_password(self.user.password_hash, field.data or ""):
            raise ValidationError(_l("Le mot de passe actuel est incorrect."))


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), fits(User.email)],
        filters=[_email],
        render_kw={"autocomplete": "email", "type": "email", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Recevoir un lien"))


class InviteForm(FlaskForm):
    full_name = StringField(
        _l("Nom complet"),
        validators=[DataRequired(_l("Indiquez le nom de la personne.")), fits(User.full_name)],
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )
    email = StringField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez l'adresse e-mail de la personne.")),
            fits(User.email),
        ],
        filters=[_email],
        render_kw={"autocomplete": "off", "type": "email", "spellcheck": "false"},
    )
    roles = CheckboxesField(
        _l("Rôles"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
    )
    organisations = CheckboxesField(_l("Organisations"), coerce=int)
    submit = SubmitField(_l("Inviter"))

    def __init__(self, available: list[Any], *args: Any, **kwargs: Any) -> None:
        """`available`: the organisations the new person may join (the inviter's)."""
        super().__init__(*args, **kwargs)
        self.organisations.choices = [SelectChoice(o.id, o.name) for o in available]

    def validate_full_name(self, field: StringField) -> None:
        problem = services.name_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_email(self, field: StringField) -> None:
        problem = services.email_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
        if services.user_by_email(field.data) is not None:
            raise ValidationError(_l("Un compte existe déjà avec cette adresse e-mail."))

    def validate_roles(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError(_l("Choisissez au moins un rôle."))

    def validate_organisations(self, field: CheckboxesField) -> None:
        if field.choices and not field.data:
            raise ValidationError(_l("Choisissez au moins une organisation."))


def _code_field(label: Any, **render_kw: str) -> StringField:
    """A code from the authenticator app (or a recovery code), with extra input attributes."""
    return StringField(
        label,
        validators=[
            DataRequired(_l("Indiquez le code affiché par votre application.")),
            Length(max=40, message=_l("Le code ne doit pas dépasser 40 caractères.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "one-time-code", **render_kw},
    )


class TwoFactorCodeForm(FlaskForm):
    """The second step of a login: a code from the app, or a recovery code."""

    code = _code_field(_l("Code de vérification"), autocapitalize="off", spellcheck="false")
    submit = SubmitField(_l("Vérifier"))


class ConfirmTwoFactorForm(FlaskForm):
    """Turning two-factor authentication on: the first code of the app proves the setup."""

    code = _code_field(_l("Code à 6 chiffres affiché par l'application"), inputmode="numeric")
    submit = SubmitField(_l("Activer la double authentification"))


class PasswordConfirmForm(FlaskForm):
    """A sensitive change confirmed with the account's password."""

    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[InputRequired(_l("Indiquez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField()

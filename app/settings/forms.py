"""The certifier's settings form: its SIRET and its Caisse des Dépôts identifiers."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from app.db import db
from app.people.models import Organisation
from app.settings.models import CLIENT_ID_LENGTH, CONTRACT_ID_MAX
from app.validators import is_valid_siret

_CLIENT_ID = re.compile(r"[A-Za-z0-9]+")
_CONTRACT_ID = re.compile(r"[A-Za-z0-9._/-]+")


def _no_spaces(value: Any) -> Any:
    """Identifiers are often copied with spaces around or between groups of characters."""
    return re.sub(r"\s", "", value) if isinstance(value, str) else value


def _siret_digits(value: Any) -> Any:
    """SIRETs are often typed in groups: "123 456 789 00012"."""
    return re.sub(r"[\s.]", "", value) if isinstance(value, str) else value


# Messages with a value in them use gettext, not lazy_gettext: a lazy string counts as safe
# HTML in a template, and an organisation's name must be escaped.
class CertifierSettingsForm(FlaskForm):
    siret = StringField(
        _l("SIRET du certificateur"),
        filters=[_siret_digits],
        validators=[DataRequired(_l("Indiquez le SIRET du certificateur."))],
        description=_l("14 chiffres, espaces permis."),
    )
    accrochage_client_id = StringField(
        _l("Identifiant client à la Caisse des Dépôts (idClient)"),
        filters=[_no_spaces],
        description=_l(
            "8 lettres ou chiffres, donnés par la Caisse des Dépôts (Passeport de compétences)."
        ),
    )
    accrochage_contract_id = StringField(
        _l("Numéro de contrat à la Caisse des Dépôts (idContrat)"),
        filters=[_no_spaces],
        description=_l("1 à 20 caractères : lettres, chiffres, « - », « _ », « . » ou « / »."),
    )
    submit = SubmitField(_l("Enregistrer les paramètres"))

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def validate_siret(self, field: Field) -> None:
        if not is_valid_siret(field.data):
            raise ValidationError(
                _l("SIRET invalide : 14 chiffres dont le dernier est une clé de contrôle.")
            )
        taken = db.session.scalar(
            sa.select(Organisation.name).where(
                Organisation.siret == field.data, Organisation.id != self.organisation.id
            )
        )
        if taken:
            raise ValidationError(
                _("Ce SIRET est déjà celui de l'organisme « %(name)s ».", name=taken)
            )

    def validate_accrochage_client_id(self, field: Field) -> None:
        value = field.data or ""
        if not value:
            return
        if not _CLIENT_ID.fullmatch(value):
            raise ValidationError(
                _l("L'identifiant client ne contient que des lettres et des chiffres.")
            )
        if len(value) != CLIENT_ID_LENGTH:
            raise ValidationError(
                _(
                    "L'identifiant client compte exactement %(expected)d caractères ; "
                    "celui-ci en a %(count)d.",
                    expected=CLIENT_ID_LENGTH,
                    count=len(value),
                )
            )

    def validate_accrochage_contract_id(self, field: Field) -> None:
        value = field.data or ""
        if not value:
            return
        if len(value) > CONTRACT_ID_MAX:
            raise ValidationError(
                _(
                    "Le numéro de contrat compte au plus %(max)d caractères ; "
                    "celui-ci en a %(count)d.",
                    max=CONTRACT_ID_MAX,
                    count=len(value),
                )
            )
        if not _CONTRACT_ID.fullmatch(value):
            raise ValidationError(
                _l(
                    "Le numéro de contrat ne contient que des lettres, des chiffres et les "
                    "signes « - », « _ », « . » ou « / »."
                )
            )

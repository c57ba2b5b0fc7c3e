"""`flask users …`: administration from the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.db import CommandGroup, fail
from app.i18n import option
from app.people import services
from app.people.models import Role

users_cli = CommandGroup("users", help=_l("Comptes : création et administration."))


@users_cli.command("create")
@option("--email", required=True, help=_l("Adresse e-mail (identifiant de connexion)."))
@option("--name", "full_name", required=True, help=_l("Nom complet."))
@option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help=_l("Rôle (répétable)."),
)
@option(
    "--password-stdin",
    is_flag=True,
    help=_l("Lire le mot de passe sur l'entrée standard (obligatoire)."),
)
@option(
    "--organisation",
    "organisations",
    multiple=True,
    help=_l("Nom d'une organisation existante (répétable)."),
)
def create_command(
    email: str,
    full_name: str,
    roles: tuple[str, ...],
    password_stdin: bool,
    organisations: tuple[str, ...],
) -> None:
    """Create an active account whose password is read from standard input."""
    if not password_stdin:
        fail(_("passez le mot de passe sur l'entrée standard avec --password-stdin"))
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        fail(_("aucun mot de passe reçu sur l'entrée standard"))
    # No request to choose a language from: messages in the default one.
    with force_locale(current_app.config["CLI_LOCALE"]):
        try:
            user = services.create_user(
                email=email,
                full_name=full_name,
                roles=[Role(r) for r in roles],
                password=password,
                organisation_names=organisations,
            )
        except services.AccountError as exc:
            fail(str(exc))
    click.echo(
        _("compte créé : %(email)s (%(roles)s)", email=user.email, roles=", ".join(sorted(roles)))
    )

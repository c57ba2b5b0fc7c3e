"""`flask badges …`: the certifier's signing keys."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.badges import services
from app.badges.models import BadgeKey
from app.db import CommandGroup, db, fail
from app.i18n import option
from app.people.models import Organisation, OrganisationKind

badges_cli = CommandGroup(
    "badges", help=_l("Badges numériques (Open Badges 3.0) : clés de signature.")
)


def _certifier(name: str | None) -> Organisation:
    query = sa.select(Organisation).where(Organisation.kind == OrganisationKind.CERTIFIER)
    if name:
        query = query.where(Organisation.name == name)
    found = list(db.session.scalars(query))
    if len(found) != 1:
        if name:
            message = _("aucun organisme certificateur nommé « %(name)s »", name=name)
        elif found:
            message = _("précisez l'organisme certificateur avec --organisation")
        else:
            message = _("aucun organisme certificateur enregistré")
        fail(message)
    return found[0]


@badges_cli.command("rotate-key")
@option("--organisation", help=_l("Nom de l'organisme certificateur (s'il y en a plusieurs)."))
def rotate_key_command(organisation: str | None) -> None:
    """Retire the signing key and make a new one; the old one stays published."""
    org = _certifier(organisation)
    key = services.rotate_key(org)
    click.echo(
        _(
            "nouvelle clé %(kid)s pour %(name)s ; les badges déjà délivrés restent valables",
            kid=key.kid,
            name=org.name,
        )
    )


@badges_cli.command("keys")
def keys_command() -> None:
    """List every signing key, retired ones included."""
    for key in db.session.scalars(sa.select(BadgeKey).order_by(BadgeKey.id)):
        if key.retired_at:
            state = _("retirée le %(date)s", date=key.retired_at.strftime("%Y-%m-%d"))
        else:
            state = _("en service")
        created = _("créée le %(date)s", date=key.created_at.strftime("%Y-%m-%d"))
        click.echo(f"{key.kid}\t{key.organisation.name}\t{created}\t{state}")

"""`flask badges …`: the certifier's signing keys."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa

from app.badges import services
from app.badges.models import BadgeKey
from app.db import CommandGroup, db
from app.people.models import Organisation, OrganisationKind

badges_cli = CommandGroup("badges", help="Badges numériques (Open Badges 3.0) : clés de signature.")


def _certifier(name: str | None) -> Organisation:
    query = sa.select(Organisation).where(Organisation.kind == OrganisationKind.CERTIFIER)
    if name:
        query = query.where(Organisation.name == name)
    found = list(db.session.scalars(query))
    if len(found) != 1:
        click.echo(
            "erreur : "
            + (
                f"aucun organisme certificateur nommé « {name} »"
                if name
                else "précisez l'organisme certificateur avec --organisation"
                if found
                else "aucun organisme certificateur enregistré"
            ),
            err=True,
        )
        sys.exit(1)
    return found[0]


@badges_cli.command("rotate-key")
@click.option("--organisation", help="Nom de l'organisme certificateur (s'il y en a plusieurs).")
def rotate_key_command(organisation: str | None) -> None:
    """Retire the signing key and make a new one; the old one stays published."""
    org = _certifier(organisation)
    key = services.rotate_key(org)
    click.echo(
        f"nouvelle clé {key.kid} pour {org.name} ; les badges déjà délivrés restent valables"
    )


@badges_cli.command("keys")
def keys_command() -> None:
    """List every signing key, retired ones included."""
    for key in db.session.scalars(sa.select(BadgeKey).order_by(BadgeKey.id)):
        state = f"retirée le {key.retired_at:%Y-%m-%d}" if key.retired_at else "en service"
        click.echo(
            f"{key.kid}\t{key.organisation.name}\tcréée le {key.created_at:%Y-%m-%d}\t{state}"
        )

"""`flask dossier check CERT_CODE --version LABEL`: the readiness check on the command line.

Exits 1 while anything is blocking, so that a filing script can stop before exporting."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.dossier.readiness import Level, check
from app.exports_history.cli import dossier_cli
from app.frameworks.cli import version_or_fail
from app.i18n import option


@dossier_cli.command("check")
@click.argument("cert_code")
@option("--version", "label", default=None, help=_l("Libellé de la version (la dernière sinon)."))
def dossier_check_command(cert_code: str, label: str | None) -> None:
    """Say, criterion by criterion, what the dossier still lacks."""
    version = version_or_fail(cert_code, label, status=2)
    # The gaps' links are built as in a request to the site's root.
    with current_app.test_request_context():
        readiness = check(version)
    click.echo(f"{readiness.certification_code} {readiness.version_label}")
    if readiness.draft_label:
        click.echo(
            _(
                "Version publiée, donc figée : ce qui lui manque se complète dans le brouillon "
                "%(draft)s (flask --app app dossier check %(code)s --version %(draft)s).",
                draft=readiness.draft_label,
                code=readiness.certification_code,
            )
        )
    for criterion in readiness.criteria:
        click.echo(f"{criterion.title} : {criterion.level.label}")
        for fact in criterion.facts:
            click.echo(f"  · {fact}")
        for gap in criterion.gaps:
            where = f" ({gap.url})" if gap.url else ""
            click.echo(f"  - [{gap.level.label}] {gap.message}{where}")
            if gap.hint:
                click.echo(f"    {gap.hint}")
    click.echo(_("Dossier : %(level)s", level=readiness.level.label))
    if readiness.level is Level.BLOCKING:
        sys.exit(1)

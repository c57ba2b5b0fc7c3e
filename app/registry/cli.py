"""`flask rncp …`: read the national register in, check a référentiel against it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.db import CommandGroup, db
from app.frameworks.cli import version_or_fail
from app.i18n import option
from app.registry import copycheck
from app.registry.importer import RegisterImportError, import_register

rncp_cli = CommandGroup(
    "rncp", help=_l("Registre national (RNCP) : importer, vérifier les copies.")
)


@rncp_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import a register export (France Compétences' ZIP, or its XML), all or nothing."""
    started = time.perf_counter()
    with click.progressbar(
        length=100, label=_("Lecture du registre"), show_percent=True, file=sys.stderr
    ) as bar:
        done = 0

        def progress(read: int, total: int) -> None:
            nonlocal done
            percent = min(100, read * 100 // max(total, 1))
            bar.update(percent - done)
            done = percent

        try:
            report = import_register(db.session(), path, progress=progress)
        except RegisterImportError as exc:
            click.echo("\n" + _("erreur : %(message)s", message=str(exc)), err=True)
            sys.exit(1)
    click.echo(
        _(
            "%(added)s, %(changed)s, %(unchanged)s, %(withdrawn)s du registre ; "
            "%(statements)s en %(seconds).1f s",
            added=ngettext("%(num)d ajoutée", "%(num)d ajoutées", report.added),
            changed=ngettext("%(num)d modifiée", "%(num)d modifiées", report.changed),
            unchanged=ngettext("%(num)d inchangée", "%(num)d inchangées", report.unchanged),
            withdrawn=ngettext("%(num)d retirée", "%(num)d retirées", report.withdrawn),
            statements=ngettext(
                "%(num)d énoncé indexé", "%(num)d énoncés indexés", report.statements
            ),
            seconds=time.perf_counter() - started,
        )
    )


@rncp_cli.command("check")
@click.argument("cert_code")
@option("--version", "label", default=None, help=_l("Libellé de la version (la dernière sinon)."))
def check_command(cert_code: str, label: str | None) -> None:
    """Compare every statement of a version with the register; exit 1 when one is flagged."""
    version = version_or_fail(cert_code, label, status=2)
    statements = copycheck.version_statements(version)
    started = time.perf_counter()
    flags = copycheck.check(db.session(), statements)
    elapsed = time.perf_counter() - started
    for flag in flags:
        click.echo(
            _(
                "%(code)s (%(score)s avec %(fiche)s) : « %(ours)s »",
                code=flag.ours.code,
                score=format(flag.score, ".0%"),
                fiche=flag.fiche_number,
                ours=flag.ours.text,
            )
            + f"\n    ≈ « {flag.theirs} » — {flag.fiche_title}"
        )
    click.echo(
        _(
            "%(compared)s au registre en %(seconds).2f s : %(close)s",
            compared=ngettext(
                "%(num)d énoncé comparé", "%(num)d énoncés comparés", len(statements)
            ),
            seconds=elapsed,
            close=ngettext(
                "%(num)d trop proche d'un énoncé existant",
                "%(num)d trop proches d'un énoncé existant",
                len(flags),
            ),
        )
    )
    if flags:
        sys.exit(1)

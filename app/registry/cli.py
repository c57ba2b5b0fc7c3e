"""`flask rncp …`: read the national register in, check a référentiel against it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from app.db import CommandGroup, db
from app.frameworks import services
from app.registry import copycheck
from app.registry.importer import RegisterImportError, import_register

rncp_cli = CommandGroup("rncp", help="Registre national (RNCP) : importer, vérifier les copies.")


@rncp_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import a register export (France Compétences' ZIP, or its XML), all or nothing."""
    started = time.perf_counter()
    with click.progressbar(
        length=100, label="Lecture du registre", show_percent=True, file=sys.stderr
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
            click.echo(f"\nerreur : {exc}", err=True)
            sys.exit(1)
    click.echo(
        f"{report.added} ajoutée(s), {report.changed} modifiée(s), "
        f"{report.unchanged} inchangée(s), {report.withdrawn} retirée(s) du registre ; "
        f"{report.statements} énoncé(s) indexé(s) en {time.perf_counter() - started:.1f} s"
    )


@rncp_cli.command("check")
@click.argument("cert_code")
@click.option("--version", "label", default=None, help="Libellé de la version (la dernière sinon).")
def check_command(cert_code: str, label: str | None) -> None:
    """Compare every statement of a version with the register; exit 1 when one is flagged."""
    try:
        version = services.load_version(cert_code, label)
    except services.FrameworkError as exc:
        click.echo(f"erreur : {exc}", err=True)
        sys.exit(2)
    statements = copycheck.version_statements(version)
    started = time.perf_counter()
    flags = copycheck.check(db.session(), statements)
    elapsed = time.perf_counter() - started
    for flag in flags:
        click.echo(
            f"{flag.ours.code} ({flag.score:.0%} avec {flag.fiche_number}) : "
            f"« {flag.ours.text} »\n    ≈ « {flag.theirs} » — {flag.fiche_title}"
        )
    click.echo(
        f"{len(statements)} énoncé(s) comparé(s) au registre en {elapsed:.2f} s : "
        f"{len(flags)} trop proche(s) d'un énoncé existant"
    )
    if flags:
        sys.exit(1)

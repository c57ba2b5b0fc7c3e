"""`flask case …`: a référentiel version as a 1EdTech CASE package, and back."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.db import CommandGroup
from app.frameworks import case as case_service
from app.frameworks import services
from exports import case

case_cli = CommandGroup(
    "case", help="Référentiels au format CASE 1.1 (1EdTech) : exporter, importer."
)


def _fail(message: str) -> None:
    click.echo(f"erreur : {message}", err=True)
    sys.exit(1)


@case_cli.command("export")
@click.argument("cert_code")
@click.option("--version", "label", help="Libellé de la version (par défaut : la dernière).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Fichier JSON à écrire.")
def export_command(cert_code: str, label: str | None, output: Path | None) -> None:
    """Write a version as a CASE 1.1 CFPackage (JSON)."""
    try:
        version = services.load_version(cert_code, label)
    except services.FrameworkError as exc:
        _fail(str(exc))
    data = case.package_bytes(case_service.package(version))
    if output is None:
        click.echo(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        click.echo(f"{output} écrit ({version.certification.code} {version.label})", err=True)

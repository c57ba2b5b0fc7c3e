"""`flask case …`: a référentiel version as a 1EdTech CASE package, and back."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from app.db import CommandGroup
from app.frameworks import case as case_service
from app.frameworks import services
from exports import case, case_import, case_tree, guard

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


KIND_NAMES = {
    "domain": "domaine(s) d'activité",
    "activity": "activité(s)",
    "bloc": "bloc(s) de compétences",
    "modality": "modalité(s) d'évaluation",
    "competency": "compétence(s)",
    "criterion": "critère(s) d'évaluation",
}


def _code(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not case_tree.CODE_RE.match(value):
        raise click.BadParameter(
            "lettres sans accent, chiffres, « . », « _ » ou « - », 40 caractères au plus"
        )
    return value


@case_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--code", callback=_code, help="Code de la certification (par défaut : celui du paquet)."
)
@click.option(
    "--version",
    "label",
    callback=_code,
    help="Libellé de la version (par défaut : celui du paquet).",
)
@click.option(
    "--level", type=click.IntRange(1, 8), help="Niveau (1 à 8), si le paquet ne le dit pas."
)
def import_command(path: Path, code: str | None, label: str | None, level: int | None) -> None:
    """Bring a CASE package (1.1, or the 1.0 shape) in as a new draft version (all or nothing)."""
    try:
        data = guard.bounded_read(path, int(current_app.config["CASE_MAX_BYTES"]), file=path.name)
        version, report = case_service.import_package(
            data, file=path.name, code=code, label=label, level=level
        )
    except case_import.PackageError as exc:
        click.echo(f"erreur : {path.name} n'est pas un paquet CASE utilisable :", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except guard.Refused as exc:
        _fail(str(exc))
    except services.FrameworkError as exc:
        _fail(f"{exc} (choisissez un autre libellé avec --version ou un autre code avec --code)")
    placed = ", ".join(
        f"{report.placed[kind]} {name}" for kind, name in KIND_NAMES.items() if report.placed[kind]
    )
    click.echo(
        f"{version.certification.code} {version.label} importée (brouillon) depuis un paquet "
        f"{report.shape} : {placed or 'aucun élément placé'}"
    )
    if report.unplaced:
        click.echo(f"{len(report.unplaced)} élément(s) non placé(s) :")
        for line in report.unplaced:
            click.echo(f"  {line}")
    else:
        click.echo("Tous les éléments du paquet ont trouvé leur place.")
    if report.notes:
        click.echo("Remarques :")
        for line in report.notes:
            click.echo(f"  {line}")

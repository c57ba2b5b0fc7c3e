"""`flask referentiel …`: validate, import, list, export, publish, diff."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from app.db import CommandGroup
from app.frameworks import documents, services

referentiel_cli = CommandGroup(
    "referentiel", help="Référentiels : valider, importer, exporter, publier."
)


def _fail(message: str) -> None:
    click.echo(f"erreur : {message}", err=True)
    sys.exit(1)


def _max_bytes() -> int:
    return int(current_app.config["REFERENTIEL_MAX_BYTES"])


@referentiel_cli.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Check référentiel files; print PATH:LINE: message for each problem."""
    failed = False
    for path in paths:
        try:
            parsed = documents.read_file(path, _max_bytes())
            problems = documents.validate_document(parsed)
        except documents.DocumentError as exc:
            problems = exc.problems
        for problem in problems:
            click.echo(problem.format(str(path)))
        failed = failed or bool(problems)
    if failed:
        sys.exit(1)
    click.echo(f"{len(paths)} fichier(s) valide(s)")


@referentiel_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def import_command(path: Path) -> None:
    """Validate a file and store it as a new draft version (all or nothing)."""
    try:
        document = documents.load(path, _max_bytes())
    except documents.DocumentError as exc:
        for problem in exc.problems:
            click.echo(problem.format(str(path)), err=True)
        sys.exit(1)
    try:
        version = services.import_document(document)
    except services.FrameworkError as exc:
        _fail(str(exc))
    click.echo(f"{version.certification.code} {version.label} importée (brouillon)")


@referentiel_cli.command("seed")
def seed_command() -> None:
    """Import and publish the référentiels shipped in referentiel/ that are not loaded yet."""
    paths = sorted(Path(current_app.config["REFERENTIEL_DIR"]).glob("*.yaml"))
    loaded = []
    try:
        for path in paths:
            version = services.ensure_published(documents.load(path, _max_bytes()))
            if version is not None:
                loaded.append(f"{version.certification.code} {version.label}")
    except documents.DocumentError as exc:
        _fail(f"{path}: {exc}")
    click.echo(f"publiées : {', '.join(loaded)}" if loaded else "référentiels déjà chargés")


@referentiel_cli.command("list")
def list_command() -> None:
    """One line per version: CERT_CODE LABEL STATUS."""
    for version in services.list_versions():
        click.echo(f"{version.certification.code} {version.label} {version.status.value}")


@referentiel_cli.command("export")
@click.argument("cert_code")
@click.option("--version", "label", help="Libellé de la version (par défaut : la dernière).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Fichier à écrire.")
def export_command(cert_code: str, label: str | None, output: Path | None) -> None:
    """Write a version as a référentiel file that imports back to the same content."""
    try:
        version = services.load_version(cert_code, label)
    except services.FrameworkError as exc:
        _fail(str(exc))
    text = documents.dump(services.export_document(version))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{output} écrit", err=True)


@referentiel_cli.command("publish")
@click.argument("cert_code")
@click.argument("label")
def publish_command(cert_code: str, label: str) -> None:
    """Publish a draft version; it becomes immutable."""
    try:
        version = services.load_version(cert_code, label)
        services.publish(version)
    except services.FrameworkError as exc:
        _fail(str(exc))
    click.echo(f"{cert_code} {label} publiée")


@referentiel_cli.command("diff")
@click.argument("cert_code")
@click.argument("label_a")
@click.argument("label_b")
def diff_command(cert_code: str, label_a: str, label_b: str) -> None:
    """List the activities, blocs, competencies and criteria added, removed or reworded."""
    try:
        a = services.load_version(cert_code, label_a)
        b = services.load_version(cert_code, label_b)
    except services.FrameworkError as exc:
        _fail(str(exc))
    result = services.diff(a, b)
    signs = {"added": "+", "removed": "-", "reworded": "~"}
    for change in result.changes:
        text = change.after if change.after is not None else change.before
        click.echo(f"{signs[change.change]} {change.kind} {change.code} : {text}")
    click.echo(
        f"{len(result.of('added'))} ajout(s), {len(result.of('removed'))} suppression(s), "
        f"{len(result.of('reworded'))} reformulation(s)"
    )

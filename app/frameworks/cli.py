"""`flask referentiel …`: validate, import, list, export, publish, diff."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.db import CommandGroup, fail
from app.frameworks import comparison, documents, services
from app.frameworks.models import FrameworkVersion
from app.i18n import option

referentiel_cli = CommandGroup(
    "referentiel", help=_l("Référentiels : valider, importer, exporter, publier.")
)


def version_or_fail(cert_code: str, label: str | None, *, status: int = 1) -> FrameworkVersion:
    """The version a command names (without a label: the latest), or the command fails."""
    try:
        return services.load_version(cert_code, label)
    except services.FrameworkError as exc:
        fail(str(exc), status=status)


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
    click.echo(ngettext("%(num)d fichier valide", "%(num)d fichiers valides", len(paths)))


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
        fail(str(exc))
    click.echo(
        _(
            "%(code)s %(label)s importée (brouillon)",
            code=version.certification.code,
            label=version.label,
        )
    )


@referentiel_cli.command("seed")
def seed_command() -> None:
    """Import and publish the référentiels shipped in referentiel/ that are not loaded yet."""
    try:
        shipped = documents.load_shipped(Path(current_app.config["REFERENTIEL_DIR"]), _max_bytes())
    except documents.DocumentError as exc:
        fail(str(exc))
    loaded = []
    for document in shipped:  # each certification's versions in label order
        version = services.ensure_published(document)
        if version is not None:
            loaded.append(f"{version.certification.code} {version.label}")
    if loaded:
        click.echo(_("publiées : %(versions)s", versions=", ".join(loaded)))
    else:
        click.echo(_("référentiels déjà chargés"))


@referentiel_cli.command("list")
def list_command() -> None:
    """One line per version: CERT_CODE LABEL STATUS."""
    for version in services.list_versions():
        click.echo(f"{version.certification.code} {version.label} {version.status.value}")


@referentiel_cli.command("export")
@click.argument("cert_code")
@option("--version", "label", help=_l("Libellé de la version (par défaut : la dernière)."))
@option("-o", "--output", type=click.Path(path_type=Path), help=_l("Fichier à écrire."))
def export_command(cert_code: str, label: str | None, output: Path | None) -> None:
    """Write a version as a référentiel file that imports back to the same content."""
    version = version_or_fail(cert_code, label)
    text = documents.dump(services.export_document(version))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(_("%(path)s écrit", path=output), err=True)


@referentiel_cli.command("publish")
@click.argument("cert_code")
@click.argument("label")
def publish_command(cert_code: str, label: str) -> None:
    """Publish a draft version; it becomes immutable."""
    try:
        version = services.load_version(cert_code, label)
        services.publish(version)
    except services.FrameworkError as exc:
        fail(str(exc))
    click.echo(_("%(code)s %(label)s publiée", code=cert_code, label=label))


@referentiel_cli.command("diff")
@click.argument("cert_code")
@click.argument("label_a")
@click.argument("label_b")
def diff_command(cert_code: str, label_a: str, label_b: str) -> None:
    """List what was added, removed or changed: items, their parts, the fiche's fields."""
    a = version_or_fail(cert_code, label_a)
    b = version_or_fail(cert_code, label_b)
    result = comparison.diff(a, b)
    signs = {"added": "+", "removed": "-", "reworded": "~"}
    for change in result.changes:
        text = change.after if change.after is not None else change.before
        aspect = f" ({change.aspect})" if change.aspect else ""
        click.echo(f"{signs[change.change]} {change.kind} {change.code}{aspect} : {text}")
    added, removed = len(result.of("added")), len(result.of("removed"))
    reworded = len(result.of("reworded"))
    click.echo(
        ", ".join(
            (
                ngettext("%(num)d ajout", "%(num)d ajouts", added),
                ngettext("%(num)d suppression", "%(num)d suppressions", removed),
                ngettext("%(num)d reformulation", "%(num)d reformulations", reworded),
            )
        )
    )

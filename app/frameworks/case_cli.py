"""`flask case …`: a référentiel version as a 1EdTech CASE package, and back."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.db import CommandGroup, fail
from app.frameworks import case as case_service
from app.frameworks import services
from app.frameworks.cli import version_or_fail
from app.i18n import option
from exports import case, case_import, case_values, guard

case_cli = CommandGroup(
    "case", help=_l("Référentiels au format CASE 1.1 (1EdTech) : exporter, importer.")
)


@case_cli.command("export")
@click.argument("cert_code")
@option("--version", "label", help=_l("Libellé de la version (par défaut : la dernière)."))
@option("-o", "--output", type=click.Path(path_type=Path), help=_l("Fichier JSON à écrire."))
def export_command(cert_code: str, label: str | None, output: Path | None) -> None:
    """Write a version as a CASE 1.1 CFPackage (JSON)."""
    version = version_or_fail(cert_code, label)
    data = case.package_bytes(case_service.package(version))
    if output is None:
        click.echo(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        written = _(
            "%(path)s écrit (%(code)s %(label)s)",
            path=output,
            code=version.certification.code,
            label=version.label,
        )
        click.echo(written, err=True)


def _placed(kind: str, n: int) -> str:
    """`n` items of a kind, as the import report counts them."""
    names = {
        "domain": lambda: ngettext("%(num)d domaine d'activité", "%(num)d domaines d'activité", n),
        "activity": lambda: ngettext("%(num)d activité", "%(num)d activités", n),
        "bloc": lambda: ngettext("%(num)d bloc de compétences", "%(num)d blocs de compétences", n),
        "modality": lambda: ngettext(
            "%(num)d modalité d'évaluation", "%(num)d modalités d'évaluation", n
        ),
        "competency": lambda: ngettext("%(num)d compétence", "%(num)d compétences", n),
        "criterion": lambda: ngettext(
            "%(num)d critère d'évaluation", "%(num)d critères d'évaluation", n
        ),
    }
    return names[kind]()


KINDS = ("domain", "activity", "bloc", "modality", "competency", "criterion")


def _code(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not case_values.CODE_RE.match(value):
        raise click.BadParameter(
            _("lettres sans accent, chiffres, « . », « _ » ou « - », 40 caractères au plus")
        )
    return value


@case_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@option(
    "--code", callback=_code, help=_l("Code de la certification (par défaut : celui du paquet).")
)
@option(
    "--version",
    "label",
    callback=_code,
    help=_l("Libellé de la version (par défaut : celui du paquet)."),
)
@option(
    "--level", type=click.IntRange(1, 8), help=_l("Niveau (1 à 8), si le paquet ne le dit pas.")
)
def import_command(path: Path, code: str | None, label: str | None, level: int | None) -> None:
    """Bring a CASE package (1.1, or the 1.0 shape) in as a new draft version (all or nothing)."""
    try:
        data = guard.bounded_read(path, int(current_app.config["CASE_MAX_BYTES"]), file=path.name)
        version, report = case_service.import_package(
            data, file=path.name, code=code, label=label, level=level
        )
    except case_import.PackageError as exc:
        click.echo(
            _("erreur : %(file)s n'est pas un paquet CASE utilisable :", file=path.name), err=True
        )
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except guard.Refused as exc:
        fail(str(exc))
    except services.FrameworkError as exc:
        fail(
            _(
                "%(error)s (choisissez un autre libellé avec --version ou un autre code avec "
                "--code)",
                error=str(exc),
            )
        )
    placed = ", ".join(_placed(kind, report.placed[kind]) for kind in KINDS if report.placed[kind])
    click.echo(
        _(
            "%(code)s %(label)s importée (brouillon) depuis un paquet %(shape)s : %(placed)s",
            code=version.certification.code,
            label=version.label,
            shape=report.shape,
            placed=placed or _("aucun élément placé"),
        )
    )
    if report.unplaced:
        unplaced = len(report.unplaced)
        click.echo(
            ngettext("%(num)d élément non placé :", "%(num)d éléments non placés :", unplaced)
        )
        for line in report.unplaced:
            click.echo(f"  {line}")
    else:
        click.echo(_("Tous les éléments du paquet ont trouvé leur place."))
    if report.notes:
        click.echo(_("Remarques :"))
        for line in report.notes:
            click.echo(f"  {line}")

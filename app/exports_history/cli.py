"""`flask dossier export …`, `flask fiche export …` and `flask accrochage export …`: the same
exports as the web pages, run at once and recorded in the exports history (author: the command
line)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.cohorts.models import Cohort
from app.db import CommandGroup, commit, db, fail
from app.exports_history import services
from app.exports_history.models import ExportKind, ExportRecord
from app.i18n import option
from exports.accrochage import LeftOut

F = TypeVar("F", bound=Callable[..., Any])

fiche_cli = CommandGroup(
    "fiche", help=_l("Fiche au format des données ouvertes de France Compétences.")
)
accrochage_cli = CommandGroup("accrochage", help=_l("Flux d'accrochage pour la Caisse des Dépôts."))
dossier_cli = CommandGroup("dossier", help=_l("Dossier de certification (PDF)."))


# The options the three exports share.
_version = option(
    "--version", "label", required=True, help=_l("Libellé de la version du référentiel.")
)


def _output(help: Any) -> Callable[[F], F]:
    return option("-o", "--output", required=True, type=click.Path(path_type=Path), help=help)


def _cohorts(help: Any) -> Callable[[F], F]:
    return option("--cohort", "cohort_names", multiple=True, help=help)


def _report_left_out(left_out: Sequence[LeftOut] | Sequence[dict[str, object]]) -> None:
    for item in left_out:
        if isinstance(item, LeftOut):
            name, cohort, reasons = item.display_name, item.cohort_name, list(item.reasons)
        else:
            name, cohort = str(item["display_name"]), str(item["cohort_name"])
            reasons = [str(r) for r in item["reasons"]]  # type: ignore[attr-defined]
        click.echo(
            _(
                "laissé·e de côté : %(name)s (%(cohort)s) : %(reasons)s",
                name=name,
                cohort=cohort,
                reasons=" ; ".join(reasons),
            ),
            err=True,
        )


def _check_output(output: Path) -> None:
    if output.exists() and output.is_dir():
        fail(_("%(path)s est un dossier", path=output))
    if not output.parent.is_dir():
        fail(_("dossier inexistant : %(path)s", path=output.parent))


def _export(
    kind: ExportKind,
    cert_code: str,
    label: str,
    output: Path,
    cohort_names: Sequence[str] = (),
    test_file: bool = False,
) -> None:
    _check_output(output)
    try:
        cohorts = []
        if kind is ExportKind.ACCROCHAGE:
            version = services.export_version(cert_code, label)
            cohorts = services.resolve_cohorts(version, names=list(cohort_names) or None)
        record = services.start_export(
            kind, cert_code=cert_code, label=label, actor=None, cohorts=cohorts, test_file=test_file
        )
        db.session.flush()
        record = services.perform_export(record.id, lambda percent: None)
    except services.ExportError as exc:
        _report_left_out(exc.left_out)
        fail(str(exc))
    _finish(record, output)


def _finish(record: ExportRecord, output: Path) -> None:
    # The export is made and stored under EXPORTS_DIR: it stays in the history even if the
    # copy to --output below fails.
    commit()  # see above: the export stays recorded
    _report_left_out(record.details.get("left_out", []))
    content = services.read_verified(record)
    if content is None:
        fail(_("le fichier enregistré ne correspond pas à son empreinte"))
    try:
        output.write_bytes(content)
    except OSError as exc:
        fail(_("écriture impossible : %(error)s", error=str(exc)))
    if record.kind is ExportKind.ACCROCHAGE:
        declared = record.details.get("declared", 0)
        click.echo(ngettext("%(num)d personne déclarée", "%(num)d personnes déclarées", declared))
        if record.details.get("test_file"):
            click.echo(_("fichier de test : à ne pas envoyer à la Caisse des Dépôts"))
    click.echo(_("%(path)s (export n° %(id)d)", path=output, id=record.id))
    click.echo(f"SHA-256 : {record.sha256}")


@fiche_cli.command("export")
@click.argument("cert_code")
@_version
@_output(_l("Fichier XML à écrire."))
def fiche_export_command(cert_code: str, label: str, output: Path) -> None:
    """Write the fiche of a version (France Compétences flux v4.1 shape)."""
    _export(ExportKind.FICHE, cert_code, label, output)


@accrochage_cli.command("export")
@click.argument("cert_code")
@_version
@_cohorts(_l("Nom d'une promotion (répétable) ; toutes les promotions de la version sinon."))
@option(
    "--test-file",
    is_flag=True,
    help=_l("Fichier de test, possible avant l'attribution du numéro RNCP (à ne pas envoyer)."),
)
@_output(_l("Fichier XML à écrire."))
def accrochage_export_command(
    cert_code: str, label: str, cohort_names: tuple[str, ...], test_file: bool, output: Path
) -> None:
    """Write the accrochage flow of the certified people of the version's cohorts (refused
    while the certification has no RNCP number, unless --test-file)."""
    _export(
        ExportKind.ACCROCHAGE,
        cert_code,
        label,
        output,
        cohort_names=cohort_names,
        test_file=test_file,
    )


@dossier_cli.command("export")
@click.argument("cert_code")
@_version
@_cohorts(_l("Nom d'une promotion pilote (répétable) ; toutes les promotions de la version sinon."))
@_output(_l("Fichier PDF à écrire."))
def dossier_export_command(
    cert_code: str, label: str, cohort_names: tuple[str, ...], output: Path
) -> None:
    """Write the certification dossier of a version, with its pilot cohorts (PDF)."""
    _check_output(output)
    try:
        version = services.export_version(cert_code, label)
        if cohort_names:
            cohorts = services.resolve_cohorts(version, names=list(cohort_names))
        else:
            cohorts = list(
                db.session.scalars(
                    sa.select(Cohort).where(Cohort.version_id == version.id).order_by(Cohort.id)
                )
            )
        record = services.start_export(
            ExportKind.DOSSIER, cert_code=cert_code, label=label, actor=None, cohorts=cohorts
        )
        db.session.flush()
        with click.progressbar(
            length=100, label=_("Dossier de certification"), file=sys.stderr
        ) as bar:
            shown = 0

            def step(percent: int) -> None:
                nonlocal shown
                if percent > shown:
                    bar.update(percent - shown)
                    shown = percent

            record = services.perform_export(record.id, step)
            step(100)
    except services.ExportError as exc:
        fail(str(exc))
    pages = record.details.get("pages")
    if pages is not None:
        click.echo(ngettext("%(num)d page", "%(num)d pages", pages))
    _finish(record, output)

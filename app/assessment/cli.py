"""`flask grid …`: export a grid to fill offline, import it back."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access import staff_cohort_query
from app.assessment import saving, xlsx
from app.assessment.grid import Grid, current_heads, find_session, load_grid
from app.assessment.inputs import GridError
from app.assessment.models import EvaluationSession
from app.cohorts.models import Cohort
from app.db import CommandGroup, db, fail
from app.i18n import option
from app.people.models import Organisation, User
from exports.guard import Limits, Refused, bounded_read

grid_cli = CommandGroup("grid", help=_l("Grilles d'évaluation hors ligne : exporter, importer."))


def _in_default_locale(command: Callable[..., None]) -> Callable[..., None]:
    """Messages in the command line's language (CLI_LOCALE): there is no request to choose one
    from."""

    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> None:
        with force_locale(current_app.config["CLI_LOCALE"]):
            command(*args, **kwargs)

    return wrapped


def _cohort(name: str, organisation: str | None) -> Cohort:
    query = sa.select(Cohort).where(Cohort.name == name)
    if organisation:
        query = query.join(Cohort.organisation).where(Organisation.name == organisation)
    found = list(db.session.scalars(query))
    if not found:
        fail(_("promotion inconnue : %(name)s", name=name))
    if len(found) > 1:
        fail(
            _("plusieurs promotions s'appellent « %(name)s » : précisez --organisation", name=name)
        )
    return found[0]


def _grid(cohort: Cohort, bloc_code: str) -> Grid:
    grid = load_grid(cohort, bloc_code)
    if grid is None:
        fail(
            _(
                "le référentiel de « %(cohort)s » n'a pas de bloc %(code)s",
                cohort=cohort.name,
                code=bloc_code,
            )
        )
    return grid


@grid_cli.command("export")
@option("--cohort", "cohort_name", required=True, help=_l("Nom de la promotion."))
@option("--organisation", help=_l("Organisme, si plusieurs promotions portent ce nom."))
@option("--bloc", "bloc_code", required=True, help=_l("Code du bloc (ex. BC01)."))
@option("-o", "--output", required=True, type=click.Path(path_type=Path), help=_l("Fichier .xlsx."))
@_in_default_locale
def export_command(
    cohort_name: str, organisation: str | None, bloc_code: str, output: Path
) -> None:
    """Write a cohort's grid for a bloc as an XLSX to fill offline."""
    grid = _grid(_cohort(cohort_name, organisation), bloc_code)
    output.write_bytes(xlsx.grid_workbook(grid, current_heads(grid)))
    click.echo(
        _(
            "%(path)s écrit : %(learners)s × %(criteria)s",
            path=output,
            learners=ngettext("%(num)d apprenant·e", "%(num)d apprenant·es", len(grid.enrolments)),
            criteria=ngettext("%(num)d critère", "%(num)d critères", len(grid.criteria)),
        )
    )


@grid_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@option("--assessor", "email", required=True, help=_l("E-mail de l'évaluateur·rice."))
@option("--session", "session_id", type=int, help=_l("Numéro de la session d'évaluation."))
@_in_default_locale
def import_command(path: Path, email: str, session_id: int | None) -> None:
    """Record the cells changed in an exported grid; nothing at all on any error or conflict."""
    limits = Limits.from_config(current_app.config)
    try:
        grid_file = xlsx.read_workbook(bounded_read(path, limits.max_bytes), limits, path.name)
    except Refused as refused:
        fail(str(refused))
    except GridError as exc:
        fail(*exc.problems)
    assessor = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if assessor is None or not assessor.is_active:
        fail(_("aucun compte actif pour %(email)s", email=email))
    cohort = db.session.scalar(staff_cohort_query(assessor).where(Cohort.id == grid_file.cohort_id))
    if cohort is None:
        fail(
            _(
                "%(email)s n'évalue pas la promotion de ce fichier (ou elle n'existe plus)",
                email=email,
            )
        )
    grid = _grid(cohort, grid_file.bloc_code)
    session: EvaluationSession | None = None
    if session_id is not None:
        session = find_session(grid, session_id)
        if session is None:
            fail(
                _(
                    "la session %(id)s n'est pas une session de ce bloc et de cette promotion",
                    id=session_id,
                )
            )
    try:
        cells = xlsx.cell_inputs(grid_file, grid)
        outcome = saving.save_grid(grid, assessor, cells, session=session, source="xlsx")
    except GridError as exc:
        fail(*exc.problems, _("rien n'a été importé"))
    if outcome.conflicts:
        lines = []
        for conflict in outcome.conflicts:
            enrolment_id, criterion_id = conflict.key
            lines.append(
                _(
                    "%(ref)s %(learner)s, %(criterion)s : fichier « %(mine)s », modifié depuis "
                    "l'export en « %(theirs)s » par %(who)s le %(when)s",
                    ref=conflict.ref,
                    learner=grid.enrolment_by_id[enrolment_id].learner.full_name,
                    criterion=grid.criterion_by_id[criterion_id].code,
                    mine=grid.level_label(conflict.mine) or _("vide"),
                    theirs=grid.level_label(conflict.theirs) or _("vide"),
                    who=conflict.theirs_by,
                    when=format_datetime(conflict.theirs_at, "dd/MM/yyyy HH:mm"),
                )
            )
        fail(
            ngettext(
                "%(num)d conflit : rien n'a été importé (%(report)s)",
                "%(num)d conflits : rien n'a été importé (%(report)s)",
                len(lines),
                report=outcome.import_report(),
            ),
            *lines,
            _(
                "importez ce fichier depuis la page de la grille pour choisir cellule par "
                "cellule, ou exportez une grille à jour"
            ),
        )
    click.echo(_("%(file)s importé : %(report)s", file=path.name, report=outcome.import_report()))

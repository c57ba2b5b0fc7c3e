"""`flask grid …`: export a grid to fill offline, import it back."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime

from app.access import staff_cohort_query
from app.assessment import saving, xlsx
from app.assessment.grid import Grid, current_heads, find_session, load_grid
from app.assessment.inputs import GridError
from app.assessment.models import EvaluationSession
from app.cohorts.models import Cohort
from app.db import CommandGroup, db
from app.people.models import Organisation, User
from exports.guard import Limits, Refused, bounded_read

grid_cli = CommandGroup("grid", help="Grilles d'évaluation hors ligne : exporter, importer.")


def _in_default_locale(command: Callable[..., None]) -> Callable[..., None]:
    """Messages in the default language: there is no request to choose one from."""

    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> None:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            command(*args, **kwargs)

    return wrapped


def _fail(*messages: str) -> NoReturn:
    for message in messages:
        click.echo(f"erreur : {message}", err=True)
    sys.exit(1)


def _cohort(name: str, organisation: str | None) -> Cohort:
    query = sa.select(Cohort).where(Cohort.name == name)
    if organisation:
        query = query.join(Cohort.organisation).where(Organisation.name == organisation)
    found = list(db.session.scalars(query))
    if not found:
        _fail(f"promotion inconnue : {name}")
    if len(found) > 1:
        _fail(f"plusieurs promotions s'appellent « {name} » : précisez --organisation")
    return found[0]


def _grid(cohort: Cohort, bloc_code: str) -> Grid:
    grid = load_grid(cohort, bloc_code)
    if grid is None:
        _fail(f"le référentiel de « {cohort.name} » n'a pas de bloc {bloc_code}")
    return grid


@grid_cli.command("export")
@click.option("--cohort", "cohort_name", required=True, help="Nom de la promotion.")
@click.option("--organisation", help="Organisme, si plusieurs promotions portent ce nom.")
@click.option("--bloc", "bloc_code", required=True, help="Code du bloc (ex. BC01).")
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="Fichier .xlsx."
)
@_in_default_locale
def export_command(
    cohort_name: str, organisation: str | None, bloc_code: str, output: Path
) -> None:
    """Write a cohort's grid for a bloc as an XLSX to fill offline."""
    grid = _grid(_cohort(cohort_name, organisation), bloc_code)
    output.write_bytes(xlsx.grid_workbook(grid, current_heads(grid)))
    click.echo(
        f"{output} écrit : {len(grid.enrolments)} apprenant·es × {len(grid.criteria)} critères"
    )


@grid_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--assessor", "email", required=True, help="E-mail de l'évaluateur·rice.")
@click.option("--session", "session_id", type=int, help="Numéro de la session d'évaluation.")
@_in_default_locale
def import_command(path: Path, email: str, session_id: int | None) -> None:
    """Record the cells changed in an exported grid; nothing at all on any error or conflict."""
    limits = Limits.from_config(current_app.config)
    try:
        grid_file = xlsx.read_workbook(bounded_read(path, limits.max_bytes), limits, path.name)
    except Refused as refused:
        _fail(str(refused))
    except GridError as exc:
        _fail(*exc.problems)
    assessor = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if assessor is None or not assessor.is_active:
        _fail(f"aucun compte actif pour {email}")
    cohort = db.session.scalar(staff_cohort_query(assessor).where(Cohort.id == grid_file.cohort_id))
    if cohort is None:
        _fail(f"{email} n'évalue pas la promotion de ce fichier (ou elle n'existe plus)")
    grid = _grid(cohort, grid_file.bloc_code)
    session: EvaluationSession | None = None
    if session_id is not None:
        session = find_session(grid, session_id)
        if session is None:
            _fail(f"la session {session_id} n'est pas une session de ce bloc et de cette promotion")
    try:
        cells = xlsx.cell_inputs(grid_file, grid)
        outcome = saving.save_grid(grid, assessor, cells, session=session, source="xlsx")
    except GridError as exc:
        _fail(*exc.problems, "rien n'a été importé")
    if outcome.conflicts:
        lines = []
        for conflict in outcome.conflicts:
            enrolment_id, criterion_id = conflict.key
            lines.append(
                f"{conflict.ref} {grid.enrolment_by_id[enrolment_id].learner.full_name}, "
                f"{grid.criterion_by_id[criterion_id].code} : fichier « "
                f"{grid.level_label(conflict.mine) or 'vide'} », modifié depuis l'export en « "
                f"{grid.level_label(conflict.theirs) or 'vide'} » par {conflict.theirs_by} le "
                f"{format_datetime(conflict.theirs_at, 'dd/MM/yyyy HH:mm')}"
            )
        _fail(
            f"{len(lines)} conflit(s) : rien n'a été importé ({outcome.import_report()})",
            *lines,
            "importez ce fichier depuis la page de la grille pour choisir cellule par cellule, "
            "ou exportez une grille à jour",
        )
    click.echo(f"{path.name} importé : {outcome.import_report()}")

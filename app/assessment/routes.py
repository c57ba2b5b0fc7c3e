"""Evaluation sessions, the grid (web and spreadsheet), cell histories and result exports.

Open to the cohort's trainers and the coordinators of its organisation; other cohorts are 404,
other roles 403. Learners never see a grid.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from app.access import cohort_or_404
from app.assessment import saving, services, xlsx
from app.assessment.forms import (
    ConfirmCellForm,
    GridForm,
    ImportForm,
    SessionForm,
    read_grid,
)
from app.assessment.grid import (
    CellRenderer,
    Entered,
    Grid,
    bloc_sessions,
    current_heads,
    find_session,
    grid_page,
    load_grid,
    load_version,
    person,
)
from app.assessment.inputs import CellInput, CommentInput, GridError
from app.assessment.models import EvaluationSession, Result, ResultHead
from app.assessment.saving import Conflict
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.db import db, savepoint
from app.glossary import BLOC_STATUS, RESULT_SOURCE
from app.names import slug
from app.people.models import Role
from app.route_rules import roles
from exports.guard import Limits
from exports.spreadsheets import csv_bytes

bp = Blueprint("assessment", __name__)

ASSESSORS = (Role.COORDINATOR, Role.TRAINER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _grid_or_404(cohort_id: int, bloc_code: str) -> Grid:
    grid = load_grid(cohort_or_404(cohort_id), bloc_code)
    if grid is None:
        abort(404)
    return grid


def _session_arg(grid: Grid) -> EvaluationSession | None:
    raw = request.args.get("session")
    if not raw:
        return None
    session = find_session(grid, int(raw)) if raw.isdigit() else None
    if session is None:
        abort(404)
    return session


def _grid_url(grid: Grid, session: EvaluationSession | None, endpoint: str = ".grid") -> str:
    return url_for(
        endpoint,
        cohort_id=grid.cohort.id,
        bloc_code=grid.bloc.code,
        session=session.id if session else None,
    )


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


# --- evaluation sessions -------------------------------------------------------------------------


@bp.route("/promotions/<int:cohort_id>/evaluations", methods=["GET", "POST"])
@roles(*ASSESSORS)
def sessions(cohort_id: int) -> Response | tuple[str, int]:
    """The cohort's grids, evaluation sessions and exports; plan a session."""
    cohort = cohort_or_404(cohort_id)
    version = load_version(cohort.version_id)
    trainers = cohort.trainers
    form = SessionForm(version, trainers)
    if request.method == "GET":
        form.session_date.data = dt.date.today()
        form.assessors.data = [t.id for t in trainers if t.id == current_user.id]
    if form.validate_on_submit():
        bloc = next(b for b in version.blocs if b.id == form.bloc_id.data)
        modality = next(m for m in bloc.modalities if m.id == form.modality_id.data)
        chosen = [t for t in trainers if t.id in set(form.assessors.data or [])]
        try:
            with savepoint():
                session = services.create_session(
                    cohort, bloc, modality, form.session_date.data, form.title.data or "", chosen
                )
        except GridError as exc:
            for problem in exc.problems:
                form.form_errors.append(problem)
        else:
            flash(_("Session d'évaluation créée."), "success")
            return redirect(
                url_for(".grid", cohort_id=cohort.id, bloc_code=bloc.code, session=session.id)
            )
    planned = db.session.scalars(
        sa.select(EvaluationSession)
        .where(EvaluationSession.cohort_id == cohort.id)
        .options(selectinload(EvaluationSession.assessors))
        .order_by(EvaluationSession.session_date.desc(), EvaluationSession.id.desc())
    ).all()
    blocs = {b.id: b for b in version.blocs}
    modalities = {m.id: m for b in version.blocs for m in b.modalities}
    html = render_template(
        "assessment/sessions.html",
        cohort=cohort,
        version=version,
        form=form,
        planned=planned,
        blocs=blocs,
        modalities=modalities,
    )
    return html, 400 if form.errors else 200


# --- the grid ------------------------------------------------------------------------------------


def _render_grid(
    grid: Grid,
    session: EvaluationSession | None,
    form: GridForm,
    *,
    entered: Entered | None = None,
    errors: Sequence[str] = (),
    conflicts: Sequence[Conflict] = (),
    status: int = 200,
) -> tuple[str, int]:
    page = grid_page(grid, entered)
    withdrawn = db.session.scalar(
        sa.select(sa.func.count(Enrolment.id)).where(
            Enrolment.cohort_id == grid.cohort.id, Enrolment.status == EnrolmentStatus.WITHDRAWN
        )
    )
    html = render_template(
        "assessment/grid.html",
        grid=grid,
        rows=page.rows,
        summary=page.summary,
        grid_levels=[{"id": lvl.id, "code": lvl.code, "label": lvl.label} for lvl in grid.levels],
        render_cells=CellRenderer(
            grid,
            history_base=url_for(
                ".cell_history",
                cohort_id=grid.cohort.id,
                bloc_code=grid.bloc.code,
                enrolment_id=0,
                criterion_id=0,
            )[: -len("0/0")],
            history=_("Historique"),
        ),
        session=session,
        sessions=bloc_sessions(grid),
        form=form,
        import_form=ImportForm(),
        errors=errors,
        conflicts=conflicts,
        withdrawn=withdrawn,
        bloc_status_labels=BLOC_STATUS,
        grid_url=_grid_url(grid, session),
    )
    return html, status


def _entered(
    cells: Sequence[CellInput],
    comments: Sequence[CommentInput],
    outcome: saving.SaveOutcome | None = None,
) -> Entered:
    """What was sent, to show again. After conflicts, only the changed cells are: the others
    show their current value; conflicting cells carry the current ids, so that confirming
    compares with the value the person has just seen."""
    if outcome is not None:
        cells = [c for c in cells if c.key in outcome.changed]
        comments = [c for c in comments if c.key in outcome.changed_comments]
    entered = Entered(
        cells={c.key: (c.level_id, c.loaded_head_id) for c in cells},
        comments={c.key: (c.text, c.loaded_comment_id) for c in comments},
    )
    for conflict in outcome.conflicts if outcome else []:
        if conflict.kind == "result":
            entered.cells[conflict.key] = (conflict.mine, conflict.current_id)
            entered.conflicts.add(conflict.key)
        else:
            entered.comments[conflict.key] = (conflict.mine, conflict.current_id)
            entered.comment_conflicts.add(conflict.key)
    return entered


@bp.route("/promotions/<int:cohort_id>/grille/<bloc_code>", methods=["GET", "POST"])
@roles(*ASSESSORS)
def grid(cohort_id: int, bloc_code: str) -> Response | tuple[str, int]:
    """The whole cohort × the bloc's criteria; one save for all, all or nothing."""
    grid = _grid_or_404(cohort_id, bloc_code)
    session = _session_arg(grid)
    form = GridForm()
    if request.method == "GET":
        return _render_grid(grid, session, form)
    if not form.validate_on_submit():
        return _render_grid(
            grid,
            session,
            form,
            errors=[_("Le formulaire a expiré : rechargez la grille (rien n'a été enregistré).")],
            status=400,
        )
    cells, comments, problems = read_grid(request.form, grid)
    if problems:
        entered = _entered(cells, comments)
        return _render_grid(grid, session, form, entered=entered, errors=problems, status=400)
    return _save(grid, session, form, cells, comments, source=form.origin.data or "web")


def _save(
    grid: Grid,
    session: EvaluationSession | None,
    form: GridForm,
    cells: Sequence[CellInput],
    comments: Sequence[CommentInput],
    *,
    source: str,
) -> Response | tuple[str, int]:
    back = _grid_url(grid, session)
    try:
        outcome = saving.save_grid(
            grid, current_user, cells, comments, session=session, source=source
        )
    except GridError as exc:
        entered = _entered(cells, comments)
        return _render_grid(grid, session, form, entered=entered, errors=exc.problems, status=400)
    except sa.exc.OperationalError:
        # SQLite refuses a write begun on a snapshot another save has since changed; the
        # database may also be unreachable. Nothing was kept: show the grid as sent, read in a
        # fresh transaction (a concurrency conflict: the old snapshot is stale).
        db.session.rollback()  # concurrency conflict (see above)
        form.origin.data = source
        busy = _("La base de données est occupée : rien n'a été enregistré. Renvoyez la grille.")
        return _render_grid(
            grid, session, form, entered=_entered(cells, comments), errors=[busy], status=503
        )
    if outcome.conflicts:
        form.origin.data = source
        entered = _entered(cells, comments, outcome)
        report = [_("Import : %(report)s.", report=outcome.import_report())]
        return _render_grid(
            grid,
            session,
            form,
            entered=entered,
            errors=report if source == "xlsx" else (),
            conflicts=outcome.conflicts,
            status=409,
        )
    if source == "xlsx":
        flash(
            _("Import : %(report)s.", report=outcome.import_report()),
            "success" if outcome.results else "info",
        )
    elif outcome.results or outcome.comments:
        flash(
            _(
                "Grille enregistrée : %(results)s et %(comments)s.",
                results=ngettext("%(num)d résultat", "%(num)d résultats", outcome.results),
                comments=ngettext("%(num)d commentaire", "%(num)d commentaires", outcome.comments),
            ),
            "success",
        )
    else:
        flash(_("Aucune modification : rien à enregistrer."), "info")
    return redirect(back)


@bp.post("/promotions/<int:cohort_id>/grille/<bloc_code>/import")
@roles(*ASSESSORS)
def grid_import(cohort_id: int, bloc_code: str) -> Response | tuple[str, int]:
    """Bring back a grid filled offline: changed cells only; conflicts shown to decide."""
    grid = _grid_or_404(cohort_id, bloc_code)
    session = _session_arg(grid)
    import_form = ImportForm()
    form = GridForm()
    if not import_form.validate_on_submit():
        errors = [e for field_errors in import_form.errors.values() for e in field_errors]
        return _render_grid(grid, session, form, errors=errors, status=400)
    try:
        upload = import_form.file.data
        limits = Limits.from_config(current_app.config)
        grid_file = xlsx.read_workbook(upload.read(limits.max_bytes + 1), limits, upload.filename)
        cells = xlsx.cell_inputs(grid_file, grid)
    except GridError as exc:
        return _render_grid(grid, session, form, errors=exc.problems, status=400)
    return _save(grid, session, form, cells, [], source="xlsx")


@bp.get("/promotions/<int:cohort_id>/grille/<bloc_code>/export")
@roles(*ASSESSORS)
def grid_export(cohort_id: int, bloc_code: str) -> Response:
    """The grid as an XLSX to fill offline (format=xlsx) or as CSV (format=csv)."""
    grid = _grid_or_404(cohort_id, bloc_code)
    fmt = request.args.get("format", "xlsx")
    heads = current_heads(grid)
    name = f"grille-{slug(grid.cohort.name, 'promotion')}-{grid.bloc.code}"
    if fmt == "xlsx":
        return _download(xlsx.grid_workbook(grid, heads), XLSX, name + ".xlsx")
    if fmt == "csv":
        return _download(xlsx.grid_csv(grid, heads), CSV, name + ".csv")
    abort(404)


@bp.get("/promotions/<int:cohort_id>/resultats")
@roles(*ASSESSORS)
def export_results(cohort_id: int) -> Response:
    """All blocs: statuses per competency and current value per criterion (XLSX: two sheets;
    CSV: table=statuts or table=criteres)."""
    cohort = cohort_or_404(cohort_id)
    fmt = request.args.get("format", "xlsx")
    table = request.args.get("table", "statuts")
    if fmt not in ("xlsx", "csv") or table not in ("statuts", "criteres"):
        abort(404)
    tables = xlsx.results_tables(cohort, load_version(cohort.version_id))
    name = f"resultats-{slug(cohort.name, 'promotion')}"
    if fmt == "xlsx":
        return _download(xlsx.results_workbook(tables), XLSX, name + ".xlsx")
    rows = tables.statuses if table == "statuts" else tables.values
    return _download(csv_bytes(rows), CSV, f"{name}-{table}.csv")


# --- a cell's history ----------------------------------------------------------------------------


def _cell_or_404(grid: Grid, enrolment_id: int, criterion_id: int) -> Enrolment:
    """The enrolment of a cell of this grid (withdrawn learners' history stays readable)."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if (
        enrolment is None
        or enrolment.cohort_id != grid.cohort.id
        or criterion_id not in grid.criterion_by_id
    ):
        abort(404)
    return enrolment


@bp.get(
    "/promotions/<int:cohort_id>/grille/<bloc_code>/historique/<int:enrolment_id>/<int:criterion_id>"
)
@roles(*ASSESSORS)
def cell_history(cohort_id: int, bloc_code: str, enrolment_id: int, criterion_id: int) -> str:
    """Every result ever recorded on one cell, newest first."""
    grid = _grid_or_404(cohort_id, bloc_code)
    enrolment = _cell_or_404(grid, enrolment_id, criterion_id)
    results = db.session.scalars(
        sa.select(Result)
        .where(Result.enrolment_id == enrolment_id, Result.criterion_id == criterion_id)
        .options(person(Result.assessor), joinedload(Result.session))
        .order_by(Result.id.desc())
    ).all()
    head = db.session.get(ResultHead, (enrolment_id, criterion_id))
    latest: dict[int, Result] = {}
    for result in results:
        latest.setdefault(result.assessor_id, result)
    opinions = {r.level_id for r in latest.values() if r.level_id is not None}
    mine = latest.get(current_user.id)
    can_confirm = (
        head is not None
        and head.level_id is not None
        and enrolment.id in grid.enrolment_by_id
        and (mine is None or mine.level_id != head.level_id)
    )
    return render_template(
        "assessment/history.html",
        grid=grid,
        enrolment=enrolment,
        criterion=grid.criterion_by_id[criterion_id],
        results=results,
        head=head,
        latest=list(latest.values()),
        disagreement=len(opinions) > 1,
        can_confirm=can_confirm,
        confirm_form=ConfirmCellForm(head=head.result_id if head else None),
        source_labels=RESULT_SOURCE,
    )


@bp.post(
    "/promotions/<int:cohort_id>/grille/<bloc_code>/historique/<int:enrolment_id>/<int:criterion_id>/confirmer"
)
@roles(*ASSESSORS)
def confirm_cell(cohort_id: int, bloc_code: str, enrolment_id: int, criterion_id: int) -> Response:
    """Record that I agree with the cell's current value (settles a disagreement)."""
    grid = _grid_or_404(cohort_id, bloc_code)
    _cell_or_404(grid, enrolment_id, criterion_id)
    form = ConfirmCellForm()
    back = url_for(
        ".cell_history",
        cohort_id=cohort_id,
        bloc_code=bloc_code,
        enrolment_id=enrolment_id,
        criterion_id=criterion_id,
    )
    if not form.validate_on_submit():
        abort(400)
    try:
        confirmed = saving.confirm_cell(
            grid, current_user, enrolment_id, criterion_id, form.head.data or 0
        )
    except GridError:
        abort(404)
    if confirmed:
        flash(_("Valeur confirmée."), "success")
    else:
        flash(_("La cellule a changé entre-temps : rien n'a été enregistré."), "error")
    return redirect(back)

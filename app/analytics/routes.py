"""Cohort analytics pages: one cohort, the cohorts of one framework version, and their CSV.

For trainers (their cohorts) and coordinators (their organisations' cohorts); other cohorts
are 404, other roles 403.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from werkzeug.wrappers import Response

from app.analytics import services, tables
from app.analytics.forms import CohortFilterForm, VersionFilterForm
from app.cohorts.models import Cohort
from app.db import db
from app.frameworks.models import FrameworkVersion
from app.frameworks.structure import structure
from app.names import slug
from app.people.models import Role
from app.route_rules import current_person, roles
from exports.spreadsheets import Cell, csv_bytes

bp = Blueprint("analytics", __name__, url_prefix="/analyse")

ANALYSTS = (Role.COORDINATOR, Role.TRAINER)
CSV = "text/csv; charset=utf-8"


def _csv(rows: list[list[Cell]], name: str) -> Response:
    return send_file(
        io.BytesIO(csv_bytes(rows)), mimetype=CSV, as_attachment=True, download_name=name
    )


def _wants_csv() -> str | None:
    """The table asked for with ?format=csv&table=…, or None for the page."""
    if request.args.get("format") != "csv":
        return None
    return request.args.get("table", "")


@bp.get("/")
@roles(*ANALYSTS)
def index() -> str:
    """The cohorts, and the framework versions, the person may analyse."""
    cohorts = services.analysable_cohorts(current_person())
    versions: dict[int, tuple[FrameworkVersion, list[Cohort]]] = {}
    for cohort in cohorts:
        versions.setdefault(cohort.version_id, (cohort.version, []))[1].append(cohort)
    return render_template(
        "analytics/index.html", cohorts=cohorts, versions=list(versions.values())
    )


@bp.get("/promotions/<int:cohort_id>")
@roles(*ANALYSTS)
def cohort(cohort_id: int) -> Response | tuple[str, int]:
    """Heat map of learners × competencies, rates per competency and criterion, the criteria
    most often not acquired; each table also as CSV."""
    found = services.find_cohort(current_person(), cohort_id)
    if found is None:
        abort(404)
    version = structure(found.version)
    form = CohortFilterForm(version, formdata=request.args)
    if not form.validate():
        page = render_template("analytics/cohort.html", cohort=found, form=form, a=None)
        return page, 400
    analytics = services.cohort_analytics(found, version, form.filters())
    if analytics is None:
        abort(404)
    table = _wants_csv()
    if table is not None:
        builders = {
            "heatmap": tables.heatmap_table,
            "competencies": tables.competency_table,
            "criteria": lambda a: tables.criterion_table(a.criteria),
            "not-acquired": lambda a: tables.criterion_table(a.not_acquired),
        }
        if table not in builders:
            abort(404)
        name = f"analyse-{slug(found.name, 'analyse')}-{table}.csv"
        return _csv(builders[table](analytics), name)
    return render_template("analytics/cohort.html", cohort=found, form=form, a=analytics), 200


@bp.get("/versions/<int:version_id>")
@roles(*ANALYSTS)
def version(version_id: int) -> Response | tuple[str, int]:
    """The acquisition rates of every cohort of one framework version, side by side."""
    me = current_person()
    if not services.may_analyse_version(me, version_id):
        abort(404)
    row = db.session.get(FrameworkVersion, version_id)
    if row is None:
        abort(404)
    loaded = structure(row)
    form = VersionFilterForm(loaded, formdata=request.args)
    if not form.validate():
        page = render_template("analytics/version.html", version=loaded, form=form, v=None)
        return page, 400
    filters = form.filters()
    cohorts = services.version_cohorts(me, version_id, filters.access_route)
    analytics = services.version_analytics(loaded, cohorts, filters)
    if analytics is None:
        abort(404)
    table = _wants_csv()
    if table is not None:
        rows = {"competencies": analytics.competencies, "criteria": analytics.criteria}
        if table not in rows:
            abort(404)
        name = (
            f"analyse-{slug(loaded.title, 'analyse')}-{slug(loaded.label, 'analyse')}-{table}.csv"
        )
        return _csv(tables.comparison_table(analytics, rows[table]), name)
    return render_template("analytics/version.html", version=loaded, form=form, v=analytics), 200

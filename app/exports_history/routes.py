"""The coordinator's exports: start one (queued as a job), follow it, download and verify."""

from __future__ import annotations

import base64
import functools
import io
import math
import mimetypes
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app import glossary
from app.access import (
    can_edit_certification,
    certifier_organisations,
    export_query,
    organisation_ids,
)
from app.cohorts.models import Cohort
from app.db import after_commit, db, savepoint
from app.exports_history import services
from app.exports_history.forms import AccrochageExportForm, DossierExportForm, FicheExportForm
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.frameworks import services as frameworks
from app.frameworks.models import FrameworkVersion
from app.glossary import VERSION_STATUS
from app.jobs import queue
from app.people.models import Role
from app.route_rules import current_person, roles
from app.settings import services as settings

bp = Blueprint("exports", __name__)

PAGE_SIZE = 50


@bp.context_processor
def export_labels() -> dict[str, Any]:
    return {
        "EXPORT_KIND": glossary.EXPORT_KIND,
        "EXPORT_STATUS": glossary.EXPORT_STATUS,
        "INTEGRITY": glossary.INTEGRITY,
    }


def _record_or_404(export_id: int) -> ExportRecord:
    record = db.session.scalar(
        export_query(current_person())
        .where(ExportRecord.id == export_id)
        .options(selectinload(ExportRecord.created_by), selectinload(ExportRecord.organisations))
    )
    if record is None:
        abort(404)
    return record


def _version_label(version: FrameworkVersion) -> str:
    status = VERSION_STATUS.get(version.status.value, version.status.value)
    return f"{version.certification.code} — {version.label} ({status}) — {version.title}"


def _start(
    kind: ExportKind, version: FrameworkVersion, cohorts: list[Cohort], *, test_file: bool = False
) -> Response:
    record = services.start_export(
        kind,
        cert_code=version.certification.code,
        label=version.label,
        actor=current_person(),
        cohorts=cohorts,
        test_file=test_file,
    )
    job = services.queue_export(record)
    after_commit(functools.partial(queue.dispatch, job))
    return redirect(url_for("exports.show", export_id=record.id))


# --- list and one export ---------------------------------------------------------------------


@bp.get("/exports")
@roles(Role.COORDINATOR)
def index() -> str:
    total = db.session.scalar(
        export_query(current_person())
        .with_only_columns(sa.func.count(ExportRecord.id))
        .order_by(None)
    )
    pages = max(1, math.ceil((total or 0) / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    records = db.session.scalars(
        export_query(current_person())
        .options(selectinload(ExportRecord.created_by))
        .order_by(ExportRecord.created_at.desc(), ExportRecord.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    integrity = {r.id: services.verify(r).integrity.value for r in records}
    return render_template(
        "exports_history/index.html",
        records=records,
        integrity=integrity,
        page=page,
        pages=pages,
        total=total or 0,
    )


@bp.get("/exports/<int:export_id>")
@roles(Role.COORDINATOR)
def show(export_id: int) -> str:
    record = _record_or_404(export_id)
    return render_template("exports_history/show.html", record=record, verification=None)


@bp.get("/exports/<int:export_id>/statut")
@roles(Role.COORDINATOR)
def status(export_id: int) -> Response:
    record = _record_or_404(export_id)
    return jsonify(
        status=record.status.value,
        label=str(glossary.EXPORT_STATUS[record.status.value]),
        progress=record.progress,
        over=record.is_over,
    )


@bp.get("/exports/<int:export_id>/verifier")
@roles(Role.COORDINATOR)
def verify(export_id: int) -> str:
    record = _record_or_404(export_id)
    verification = services.verify(record)
    return render_template("exports_history/show.html", record=record, verification=verification)


@bp.get("/exports/<int:export_id>/telecharger")
@roles(Role.COORDINATOR)
def download(export_id: int) -> Response | tuple[str, int]:
    record = _record_or_404(export_id)
    if record.status is not ExportStatus.DONE:
        abort(404)
    content = services.read_verified(record)
    if content is None:
        verification = services.verify(record)
        page = render_template(
            "exports_history/show.html", record=record, verification=verification, refused=True
        )
        return page, 409
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetypes.guess_type(record.filename)[0] or "application/octet-stream",
        as_attachment=True,
        download_name=record.filename,
    )
    digest = base64.b64encode(bytes.fromhex(record.sha256 or "")).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- starting an export ----------------------------------------------------------------------


@bp.route("/exports/fiche", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new_fiche() -> str | Response:
    versions = {v.id: v for v in frameworks.list_versions()}
    form = FicheExportForm()
    form.version.choices = [(v.id, _version_label(v)) for v in versions.values()]
    if form.validate_on_submit():
        version = versions[form.version.data]
        return _start(ExportKind.FICHE, version, [])
    return render_template("exports_history/new_fiche.html", form=form)


def _my_cohorts() -> list[Cohort]:
    """Cohorts of the coordinator's organisations, with their version and organisation."""
    return list(
        db.session.scalars(
            sa.select(Cohort)
            .where(Cohort.organisation_id.in_(organisation_ids(current_person())))
            .options(
                selectinload(Cohort.version).selectinload(FrameworkVersion.certification),
                selectinload(Cohort.organisation),
            )
            .order_by(Cohort.version_id, Cohort.start_date, Cohort.name)
        )
    )


def _cohort_label(cohort: Cohort) -> str:
    version = cohort.version
    return (
        f"{cohort.name} — {cohort.organisation.name} ({version.certification.code} {version.label})"
    )


@bp.route("/exports/dossier", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new_dossier() -> str | Response:
    versions = {v.id: v for v in frameworks.list_versions()}
    cohorts = _my_cohorts()
    form = DossierExportForm(cohort_versions={c.id: c.version_id for c in cohorts})
    form.version.choices = [(v.id, _version_label(v)) for v in versions.values()]
    form.cohorts.choices = [(c.id, _cohort_label(c)) for c in cohorts]
    if form.validate_on_submit():
        chosen = [c for c in cohorts if c.id in set(form.cohorts.data or [])]
        try:
            with savepoint():
                return _start(ExportKind.DOSSIER, versions[form.version.data], chosen)
        except services.ExportError as exc:
            form.version.errors = [*form.version.errors, str(exc)]
    return render_template(
        "exports_history/new_dossier.html", form=form, certifications=_certifications(versions)
    )


def _certifications(versions: dict[int, FrameworkVersion]) -> list[tuple[str, str]]:
    """(code, latest title) of each certification whose dossier texts the coordinator writes
    (its certifier's), for the links to them."""
    me = current_person()
    latest = {
        v.certification.code: v.title
        for v in versions.values()
        if can_edit_certification(me, v.certification)
    }
    return sorted(latest.items())


@bp.route("/exports/accrochage", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new_accrochage() -> str | Response:
    cohorts = _my_cohorts()
    versions = {c.version.id: c.version for c in cohorts}
    form = AccrochageExportForm(cohort_versions={c.id: c.version_id for c in cohorts})
    form.version.choices = [(v.id, _version_label(v)) for v in versions.values()]
    form.cohorts.choices = [(c.id, _cohort_label(c)) for c in cohorts]
    # Said before the form is sent, per certification; an export that cannot run is never
    # queued.
    blocked = settings.accrochage_blockers(versions.values())
    if form.validate_on_submit():
        version = versions[form.version.data]
        if version.id in blocked:
            form.version.errors = [
                *form.version.errors,
                _(
                    "Ce flux ne peut pas encore être produit : il manque %(what)s.",
                    what=" ; ".join(blocked[version.id].missing),
                ),
            ]
        else:
            chosen = [c for c in cohorts if c.id in set(form.cohorts.data or [])]
            try:
                with savepoint():
                    return _start(
                        ExportKind.ACCROCHAGE,
                        version,
                        chosen,
                        test_file=bool(form.test_file.data),
                    )
            except services.ExportError as exc:
                form.cohorts.errors = [*form.cohorts.errors, str(exc)]
    mine = {org.id for org in certifier_organisations(current_person())}
    # Said before the form is sent: which certifications have no RNCP number yet.
    without_rncp = sorted(
        {
            v.certification.code
            for v in versions.values()
            if services.accrochage_refusal(v) is not None
        }
    )
    return render_template(
        "exports_history/new_accrochage.html",
        form=form,
        has_cohorts=bool(cohorts),
        blockers=[
            (versions[version_id], ids, ids.certifier is not None and ids.certifier.id in mine)
            for version_id, ids in blocked.items()
        ],
        all_blocked=bool(versions) and set(blocked) == set(versions),
        without_rncp=without_rncp,
    )

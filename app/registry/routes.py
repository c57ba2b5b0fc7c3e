"""Pages of the national register: search, a fiche, the copy check of a version."""

from __future__ import annotations

import functools
import uuid

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import can_edit_certification, certifier_of
from app.db import after_commit, db, savepoint
from app.frameworks import services as frameworks
from app.frameworks.editing_services import claim_certification
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from app.jobs.models import Job
from app.jobs.queue import dispatch, enqueue
from app.people.models import Role
from app.registry import borrow, copycheck, correspondences, search, tasks
from app.registry.forms import BorrowForm, CorrespondenceForm, ImportForm, SearchForm
from app.registry.models import CorrespondenceKind
from app.route_rules import current_person, roles

bp = Blueprint("registry", __name__, url_prefix="/registre")

KIND_LABELS = {
    CorrespondenceKind.TOTAL: lambda: _("totale"),
    CorrespondenceKind.PARTIAL: lambda: _("partielle"),
    CorrespondenceKind.NONE: lambda: _("aucune"),
}


@bp.get("/")
@roles(Role.COORDINATOR, Role.TRAINER)
def index() -> str:
    form = SearchForm(request.args)
    results = None
    if request.args and form.validate():
        query = search.Query(
            words=form.q.data or "",
            rome=form.rome.data or "",
            nsf=form.nsf.data or "",
            formacode=form.formacode.data or "",
            level=form.niveau.data,
            active_only=not form.inactives.data,
        )
        if not query.empty:
            results = search.search(db.session(), query)
    return render_template(
        "registry/index.html",
        form=form,
        results=results,
        summary=search.summary(db.session()),
        versions=[
            v
            for v in frameworks.list_versions()
            if v.status is not VersionStatus.DRAFT
            or can_edit_certification(current_person(), v.certification)
        ],
        for_the_certifier=_for_the_certifier(),
    )


@bp.get("/fiches/<number>")
@roles(Role.COORDINATOR, Role.TRAINER)
def fiche(number: str) -> str:
    found = search.fiche(db.session(), number)
    if found is None:
        abort(404)
    form = BorrowForm() if _for_the_certifier() else None
    return render_template("registry/fiche.html", fiche=found, form=form)


@bp.route("/fiches/<number>/brouillon", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def borrow_fiche(number: str) -> str | Response:
    _certifier_only()
    found = search.fiche(db.session(), number)
    if found is None:
        abort(404)
    form = BorrowForm()
    if form.validate_on_submit():
        existing = db.session.scalar(
            sa.select(Certification).where(Certification.code == form.code.data)
        )
        if existing is not None and not can_edit_certification(current_person(), existing):
            form.code.errors = [
                *form.code.errors,
                _("Cette certification appartient à un autre certificateur."),
            ]
            return render_template("registry/fiche.html", fiche=found, form=form)
        version = borrow.start_draft_from(
            found, form.code.data, form.label.data, form.certifier_name.data
        )
        claim_certification(version, certifier_of(current_person()))
        flash(
            _(
                "Brouillon %(code)s %(label)s ouvert depuis la fiche %(number)s : ses énoncés "
                "sont marqués comme repris, à reformuler avant le dépôt.",
                code=form.code.data,
                label=form.label.data,
                number=found.number,
            ),
            "success",
        )
        return redirect(url_for("editor.edit", version_id=version.id))
    return render_template("registry/fiche.html", fiche=found, form=form)


def _for_the_certifier() -> bool:
    """Whether the person coordinates a certifier (the shared rule: access.certifier_of)."""
    return certifier_of(current_person()) is not None


def _certifier_only() -> None:
    if not _for_the_certifier():
        abort(403)


def _version_or_404(cert_code: str, label: str) -> FrameworkVersion:
    """A version; a draft only for the coordinators of the certifier owning it."""
    try:
        version = frameworks.load_version(cert_code, label)
    except frameworks.FrameworkError:
        abort(404)
    if version.status is VersionStatus.DRAFT and not can_edit_certification(
        current_person(), version.certification
    ):
        abort(404)
    return version


@bp.get("/verification/<cert_code>/<label>")
@roles(Role.COORDINATOR)
def check(cert_code: str, label: str) -> str:
    version = _version_or_404(cert_code, label)
    statements = copycheck.version_statements(version)
    flags = copycheck.check(db.session(), statements)
    return render_template(
        "registry/check.html",
        version=version,
        statements=statements,
        flags=flags,
        highlight=copycheck.highlight,
        summary=search.summary(db.session()),
        is_draft=version.status is VersionStatus.DRAFT,
    )


@bp.get("/correspondances/<cert_code>/<label>")
@roles(Role.COORDINATOR)
def correspondence_list(cert_code: str, label: str) -> str:
    version = _version_or_404(cert_code, label)
    session = db.session()
    ranking = {
        bloc.code: correspondences.rank(session, version, bloc, limit=5) for bloc in version.blocs
    }
    marked = correspondences.marks(session, version)
    return render_template(
        "registry/correspondences.html",
        may_mark=can_edit_certification(current_person(), version.certification),
        version=version,
        ranking=ranking,
        marked={(m.bloc_code, m.registry_bloc_code): m for m in marked},
        marks=marked,
        form=CorrespondenceForm(),
        summary=search.summary(session),
    )


@bp.post("/correspondances/<cert_code>/<label>")
@roles(Role.COORDINATOR)
def correspondence_mark(cert_code: str, label: str) -> Response:
    _certifier_only()
    version = _version_or_404(cert_code, label)
    if not can_edit_certification(current_person(), version.certification):
        abort(403)
    form = CorrespondenceForm()
    target = url_for("registry.correspondence_list", cert_code=cert_code, label=label)
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(target)
    try:
        with savepoint():
            row = correspondences.mark(
                db.session(),
                version,
                form.bloc_code.data,
                form.fiche_number.data,
                form.registry_bloc_code.data,
                CorrespondenceKind(form.kind.data),
                form.note.data or "",
                current_user.id,
            )
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(target)
    flash(
        _(
            "Correspondance %(kind)s enregistrée entre %(ours)s et %(theirs)s.",
            kind=KIND_LABELS[row.kind](),
            ours=row.bloc_code,
            theirs=row.registry_bloc_code,
        ),
        "success",
    )
    return redirect(f"{target}#bloc-{row.bloc_code}")


@bp.route("/import", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def import_export() -> str | Response:
    _certifier_only()
    request.max_content_length = current_app.config["REGISTRY_UPLOAD_MAX_BYTES"]
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.export.data
        token = uuid.uuid4().hex
        suffix = ".zip" if upload.filename.lower().endswith(".zip") else ".xml"
        stored = f"{token}{suffix}"
        upload.save(tasks.registry_dir() / stored)
        job = enqueue(
            tasks.JOB_KIND,
            {
                "token": token,
                "stored": stored,
                "filename": upload.filename[:200],
                "user_id": current_user.id,
            },
        )
        tasks.write_status(token, percent=0)
        after_commit(functools.partial(dispatch, job))
        return redirect(url_for("registry.import_status", job_id=job.id))
    return render_template("registry/import.html", form=form, summary=search.summary(db.session()))


@bp.get("/import/<int:job_id>")
@roles(Role.COORDINATOR)
def import_status(job_id: int) -> str:
    job = db.session.get(Job, job_id)
    # An import's page is for the person who started it.
    if job is None or job.kind != tasks.JOB_KIND or job.payload.get("user_id") != current_user.id:
        abort(404)
    return render_template(
        "registry/import_status.html", job=job, status=tasks.read_status(job.payload["token"])
    )

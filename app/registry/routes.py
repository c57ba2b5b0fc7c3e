"""Pages of the national register: search, a fiche, the copy check of a version."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles
from app.db import db, savepoint
from app.frameworks import services as frameworks
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.people.models import Role
from app.registry import borrow, copycheck, correspondences, search
from app.registry.forms import BorrowForm, CorrespondenceForm, SearchForm
from app.registry.models import CorrespondenceKind

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
        versions=frameworks.list_versions(),
    )


@bp.get("/fiches/<number>")
@roles(Role.COORDINATOR, Role.TRAINER)
def fiche(number: str) -> str:
    found = search.fiche(db.session(), number)
    if found is None:
        abort(404)
    form = BorrowForm() if current_user.has_role(Role.COORDINATOR) else None
    return render_template("registry/fiche.html", fiche=found, form=form)


@bp.route("/fiches/<number>/brouillon", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def borrow_fiche(number: str) -> str | Response:
    found = search.fiche(db.session(), number)
    if found is None:
        abort(404)
    form = BorrowForm()
    if form.validate_on_submit():
        version = borrow.start_draft_from(
            found, form.code.data, form.label.data, form.certifier_name.data
        )
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


def _version_or_404(cert_code: str, label: str) -> FrameworkVersion:
    try:
        return frameworks.load_version(cert_code, label)
    except frameworks.FrameworkError:
        abort(404)


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
    version = _version_or_404(cert_code, label)
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

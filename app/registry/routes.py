"""Pages of the national register: search, a fiche, the copy check of a version."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.access import roles
from app.db import db
from app.frameworks import services as frameworks
from app.frameworks.models import VersionStatus
from app.people.models import Role
from app.registry import copycheck, search
from app.registry.forms import SearchForm

bp = Blueprint("registry", __name__, url_prefix="/registre")


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
    return render_template("registry/fiche.html", fiche=found)


@bp.get("/verification/<cert_code>/<label>")
@roles(Role.COORDINATOR)
def check(cert_code: str, label: str) -> str:
    try:
        version = frameworks.load_version(cert_code, label)
    except frameworks.FrameworkError:
        abort(404)
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

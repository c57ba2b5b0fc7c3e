"""Pages of the référentiels: list, four-column table, activity × competency matrix, diff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload

from app.db import db
from app.frameworks import case as case_service
from app.frameworks import comparison, page_cache, services
from app.frameworks.editing_services import load_version_by_id
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from app.people.models import Role
from app.route_rules import public_frameworks
from exports import case

bp = Blueprint("frameworks", __name__)
bp.record_once(lambda state: page_cache.init_app(state.app))


def _sees_drafts() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.COORDINATOR)


def _version_or_404(cert_code: str, label: str) -> FrameworkVersion:
    """Load a version; drafts exist only for coordinators."""
    try:
        version = services.load_version(cert_code, label)
    except services.FrameworkError:
        abort(404)
    if version.status is VersionStatus.DRAFT and not _sees_drafts():
        abort(404)
    return version


def _version_row_or_404(cert_code: str, label: str) -> FrameworkVersion:
    """Load a version's own row and certification in one query, without its content."""
    version = db.session.scalar(
        sa.select(FrameworkVersion)
        .join(FrameworkVersion.certification)
        .options(contains_eager(FrameworkVersion.certification))
        .where(Certification.code == cert_code, FrameworkVersion.label == label)
    )
    if version is None or (version.status is VersionStatus.DRAFT and not _sees_drafts()):
        abort(404)
    return version


def _with_content(row: FrameworkVersion) -> FrameworkVersion:
    """Load the whole tree of a version whose row is loaded (a draft may be gone since)."""
    version = load_version_by_id(row.id)
    if version is None:
        abort(404)
    return version


def _render_version_content(row: FrameworkVersion) -> str:
    version = _with_content(row)
    return render_template("frameworks/_version_content.html", version=version)


def _render_matrix_content(row: FrameworkVersion) -> str:
    version = _with_content(row)
    competencies = [c for b in version.blocs for c in b.competencies]
    links = {(c.id, a.id) for c in competencies for a in c.activities}
    return render_template(
        "frameworks/_matrix_content.html", version=version, competencies=competencies, links=links
    )


@bp.get("/")
@public_frameworks
def index() -> str:
    certifications = db.session.scalars(
        sa.select(Certification)
        .options(selectinload(Certification.versions))
        .order_by(Certification.code)
    ).all()
    drafts = _sees_drafts()
    shown = {
        cert.id: [v for v in cert.versions if drafts or v.status is not VersionStatus.DRAFT]
        for cert in certifications
    }
    certifications = [cert for cert in certifications if shown[cert.id]]
    # Newest first, each with the version before it (to link the differences).
    versions_of = {
        cert.id: list(
            zip(reversed(shown[cert.id]), [*reversed(shown[cert.id][:-1]), None], strict=True)
        )
        for cert in certifications
    }
    return render_template(
        "frameworks/index.html", certifications=certifications, versions_of=versions_of
    )


@bp.get("/referentiels/<cert_code>/<label>")
@public_frameworks
def version(cert_code: str, label: str) -> str:
    version = _version_row_or_404(cert_code, label)
    content = page_cache.content(version, "version", lambda: _render_version_content(version))
    return render_template("frameworks/version.html", version=version, content=content)


@bp.get("/referentiels/<cert_code>/<label>/matrice")
@public_frameworks
def matrix(cert_code: str, label: str) -> str:
    version = _version_row_or_404(cert_code, label)
    content = page_cache.content(version, "matrix", lambda: _render_matrix_content(version))
    return render_template("frameworks/matrix.html", version=version, content=content)


@bp.get("/referentiels/<cert_code>/<label>/case.json")
@public_frameworks
def case_package(cert_code: str, label: str) -> Response:
    """The version as a CASE 1.1 package (JSON), to download."""
    version = _version_row_or_404(cert_code, label)
    built = case_service.package_of(version)
    if built is None:
        abort(404)
    data = case.package_bytes(built)
    return Response(
        data,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{case_service.filename(version)}"'},
    )


@bp.get("/referentiels/<cert_code>/comparer")
@public_frameworks
def compare(cert_code: str) -> str:
    label_a, label_b = request.args.get("a"), request.args.get("b")
    if not label_a or not label_b:
        abort(404)
    result = comparison.diff(
        _version_or_404(cert_code, label_a), _version_or_404(cert_code, label_b)
    )
    return render_template("frameworks/diff.html", diff=result, cert_code=cert_code)

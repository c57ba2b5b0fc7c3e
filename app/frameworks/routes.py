"""Pages of the référentiels: list, four-column table, activity × competency matrix, diff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import selectinload

from app.db import db
from app.frameworks import services
from app.frameworks.models import Certification, FrameworkVersion

bp = Blueprint("frameworks", __name__)


def _version_or_404(cert_code: str, label: str) -> FrameworkVersion:
    try:
        return services.load_version(cert_code, label)
    except services.FrameworkError:
        abort(404)


@bp.get("/")
def index() -> str:
    certifications = db.session.scalars(
        sa.select(Certification)
        .options(selectinload(Certification.versions))
        .order_by(Certification.code)
    ).all()
    # Newest first, each with the version before it (to link the differences).
    versions_of = {
        cert.id: list(
            zip(reversed(cert.versions), [*reversed(cert.versions[:-1]), None], strict=True)
        )
        for cert in certifications
    }
    return render_template(
        "frameworks/index.html", certifications=certifications, versions_of=versions_of
    )


@bp.get("/referentiels/<cert_code>/<label>")
def version(cert_code: str, label: str) -> str:
    version = _version_or_404(cert_code, label)
    return render_template("frameworks/version.html", version=version)


@bp.get("/referentiels/<cert_code>/<label>/matrice")
def matrix(cert_code: str, label: str) -> str:
    version = _version_or_404(cert_code, label)
    competencies = [c for b in version.blocs for c in b.competencies]
    links = {(c.id, a.id) for c in competencies for a in c.activities}
    return render_template(
        "frameworks/matrix.html", version=version, competencies=competencies, links=links
    )


@bp.get("/referentiels/<cert_code>/comparer")
def compare(cert_code: str) -> str:
    label_a, label_b = request.args.get("a"), request.args.get("b")
    if not label_a or not label_b:
        abort(404)
    result = services.diff(_version_or_404(cert_code, label_a), _version_or_404(cert_code, label_b))
    return render_template("frameworks/diff.html", diff=result, cert_code=cert_code)

"""The coordinator's pages of the dossier: the certifications, and the texts of each."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.access import can_edit_certification
from app.cohorts.models import AccessRoute
from app.db import db, savepoint
from app.dossier import services
from app.dossier.forms import DossierTextsForm, composition_field, open_field
from app.dossier.models import DossierText
from app.dossier.readiness import Level, check
from app.dossier.texts import TEXT_KEYS, TEXTS
from app.frameworks.models import Certification, FrameworkError
from app.frameworks.services import load_version, owned_certifications_with_versions
from app.people.models import Role
from app.route_rules import current_person, roles

bp = Blueprint("dossier", __name__, url_prefix="/dossier")


@bp.get("/")
@roles(Role.COORDINATOR)
def index() -> str:
    certifications = owned_certifications_with_versions(current_person())
    texts = {
        t.certification_id: t
        for t in db.session.scalars(
            sa.select(DossierText).options(selectinload(DossierText.updated_by))
        )
    }
    return render_template("dossier/index.html", certifications=certifications, texts=texts)


def _form_data(texts: DossierText | None) -> dict[str, object]:
    data: dict[str, object] = {"revision": texts.revision if texts else 0}
    if texts is None:
        return data
    for key in TEXT_KEYS:
        data[key] = getattr(texts, key)
    for route in AccessRoute:
        written = texts.jury_text(route)
        data[open_field(route)] = written.open if written else False
        data[composition_field(route)] = written.composition if written else ""
    return data


@bp.route("/<cert_code>/textes", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def texts(cert_code: str) -> str | Response:
    certification = db.session.scalar(
        sa.select(Certification)
        .where(Certification.code == cert_code)
        .options(selectinload(Certification.versions))
    )
    # The dossier is the certifier's: other organisations' coordinators get 404.
    if (
        certification is None
        or not certification.versions
        or not can_edit_certification(current_person(), certification)
    ):
        abort(404)
    current = services.texts_for(certification.id)
    used = services.used_routes(certification.id)
    form = DossierTextsForm(data=_form_data(current))
    if form.validate_on_submit():
        try:
            with savepoint():
                services.save_texts(
                    certification,
                    revision=form.revision.data,
                    data=form.texts(),
                    by=current_person(),
                )
        except services.DossierTextError as error:
            flash(str(error), "error")
        else:
            flash(_("Textes du dossier enregistrés."), "success")
            return redirect(url_for(".texts", cert_code=cert_code))
    return render_template(
        "dossier/texts.html",
        form=form,
        certification=certification,
        latest=certification.versions[-1],
        texts=current,
        routes=[(route, open_field(route), composition_field(route)) for route in AccessRoute],
        used=used,
        written_texts=TEXTS,
    )


@bp.get("/<cert_code>/<label>/verification")
@roles(Role.COORDINATOR)
def readiness(cert_code: str, label: str) -> str:
    """The readiness check of one version's dossier: what is missing, and where to fill it."""
    try:
        version = load_version(cert_code, label)
    except FrameworkError:
        abort(404)
    # The dossier is the certifier's: other organisations' coordinators get 404.
    if not can_edit_certification(current_person(), version.certification):
        abort(404)
    return render_template(
        "dossier/readiness.html", version=version, readiness=check(version), Level=Level
    )

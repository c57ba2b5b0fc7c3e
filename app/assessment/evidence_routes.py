"""Evidence pages: a learner's files per competency, upload, download."""

from __future__ import annotations

import functools
from typing import Any

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import Field, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from app.access import can_attach_evidence, can_view_enrolment
from app.assessment import evidence
from app.assessment.models import EvidenceFile
from app.cohorts.models import Enrolment
from app.db import after_rollback, db
from app.frameworks.models import FrameworkVersion
from app.frameworks.services import version_query
from app.people.models import Role
from app.route_rules import current_person, roles

bp = Blueprint("evidence", __name__)

VIEWERS = (Role.LEARNER, Role.TRAINER, Role.COORDINATOR, Role.JURY)


class EvidenceForm(FlaskForm):
    competency = SelectField(
        _l("Compétence"),
        coerce=int,
        validators=[InputRequired(message=_l("Choisissez une compétence."))],
    )
    file = FileField(
        _l("Fichier"),
        validators=[FileRequired(message=_l("Choisissez un fichier."))],
        # A hint for the file picker only: the content decides (evidence.check_upload).
        render_kw={
            "accept": ",".join(ext for k in evidence.KINDS.values() for ext in k.extensions)
        },
    )

    checked: evidence.CheckedFile | None = None

    def validate_file(self, field: Field) -> None:
        max_bytes = current_app.config["EVIDENCE_MAX_BYTES"]
        content = field.data.stream.read(max_bytes + 1)
        try:
            self.checked = evidence.check_upload(content, field.data.filename or "", max_bytes)
        except evidence.EvidenceError as error:
            raise ValidationError(str(error)) from error


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"evidence_kinds": evidence.KINDS, "format_size": evidence.format_size}


def _enrolment_or_404(enrolment_id: int) -> Enrolment:
    enrolment = db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .options(selectinload(Enrolment.learner), selectinload(Enrolment.cohort))
    )
    if enrolment is None or not can_view_enrolment(current_user, enrolment):
        abort(404)
    return enrolment


def _version(enrolment: Enrolment) -> FrameworkVersion:
    """The cohort's version with its blocs and competencies loaded."""
    version = db.session.scalar(
        version_query().where(FrameworkVersion.id == enrolment.cohort.version_id)
    )
    assert version is not None
    return version


def _form(version: FrameworkVersion) -> EvidenceForm:
    form = EvidenceForm()
    form.competency.choices = [
        SelectChoice(comp.id, f"{comp.code} — {comp.statement}", optgroup=bloc.code)
        for bloc in version.blocs
        for comp in bloc.competencies
    ]
    return form


def _page(enrolment: Enrolment, version: FrameworkVersion, form: EvidenceForm | None) -> str:
    return render_template(
        "evidence/index.html",
        enrolment=enrolment,
        version=version,
        files=evidence.evidence_by_competency(enrolment.id),
        form=form,
        max_size=evidence.format_size(current_app.config["EVIDENCE_MAX_BYTES"]),
    )


@bp.get("/inscriptions/<int:enrolment_id>/preuves")
@roles(*VIEWERS)
def index(enrolment_id: int) -> str:
    enrolment = _enrolment_or_404(enrolment_id)
    version = _version(enrolment)
    form = None
    if can_attach_evidence(current_user, enrolment):
        form = _form(version)
        form.competency.data = request.args.get("competence", type=int)
    return _page(enrolment, version, form)


@bp.post("/inscriptions/<int:enrolment_id>/preuves")
@roles(Role.LEARNER, Role.TRAINER)
def upload(enrolment_id: int) -> Response | tuple[str, int]:
    enrolment = _enrolment_or_404(enrolment_id)
    if not can_attach_evidence(current_user, enrolment):
        abort(403)
    version = _version(enrolment)
    form = _form(version)
    if not form.validate_on_submit():
        return _page(enrolment, version, form), 400
    assert form.checked is not None
    competency = next(
        comp
        for bloc in version.blocs
        for comp in bloc.competencies
        if comp.id == form.competency.data
    )
    stored = evidence.attach(enrolment, competency, form.checked, current_person())
    after_rollback(functools.partial(evidence.discard, stored))
    flash(_("Pièce « %(name)s » ajoutée.", name=stored.original_name), "success")
    return redirect(
        url_for(".index", enrolment_id=enrolment.id, _anchor=f"competence-{competency.id}")
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    return render_template(
        "evidence/too_large.html",
        max_size=evidence.format_size(current_app.config["EVIDENCE_MAX_BYTES"]),
    ), 413


@bp.get("/preuves/<int:evidence_id>")
@roles(*VIEWERS)
def download(evidence_id: int) -> Response:
    item = db.session.scalar(
        sa.select(EvidenceFile)
        .where(EvidenceFile.id == evidence_id)
        .options(selectinload(EvidenceFile.enrolment).selectinload(Enrolment.cohort))
    )
    if item is None or not can_view_enrolment(current_user, item.enrolment):
        abort(404)
    path = evidence.stored_path(item.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=item.media_type,
        as_attachment=True,
        download_name=item.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # Should a browser ever render it anyway, it gets no script and no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

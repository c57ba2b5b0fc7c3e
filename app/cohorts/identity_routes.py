"""A learner's identity as the certification needs it: read, and edited by whoever may."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.access import can_erase_person, identity_access, organisation_ids
from app.cohorts import services
from app.cohorts.forms import (
    IdentityForm,
)
from app.cohorts.models import Cohort, Enrolment, LearnerIdentity
from app.cohorts.routes import bp
from app.db import db, savepoint
from app.people.models import Role, User
from app.route_rules import current_person, roles


def _identity_data(identity: LearnerIdentity | None) -> dict[str, Any]:
    if identity is None:
        return {"revision": 0}
    return {
        **IdentityForm.first_name_data(identity.first_names),
        "birth_name": identity.birth_name,
        "usage_name": identity.usage_name,
        "birth_date": identity.birth_date,
        "sex": identity.sex.value if identity.sex else "",
        "birth_commune_code": identity.birth_commune_code,
        "birth_country_code": identity.birth_country_code,
        "revision": identity.revision,
    }


@bp.route("/apprenants/<int:user_id>/identite", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def identity(user_id: int) -> str | Response:
    learner = db.session.get(User, user_id)
    if learner is None:
        abort(404)
    access = identity_access(current_person(), user_id)
    if access is None:
        abort(404)
    if access != "edit" and request.method == "POST":
        abort(403)
    current = db.session.get(LearnerIdentity, user_id)
    form = IdentityForm(data=_identity_data(current))
    if access == "edit" and form.validate_on_submit():
        data = form.identity_data()
        try:
            with savepoint():
                services.save_identity(learner, data, revision=form.revision.data or 0)
        except services.CohortError as error:
            flash(str(error), "error")
        else:
            flash(_("Identité enregistrée."), "success")
            return redirect(url_for(".identity", user_id=user_id))
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .join(Enrolment.cohort)
        .where(
            Enrolment.learner_id == user_id,
            Cohort.organisation_id.in_(organisation_ids(current_person())),
        )
        .options(sa.orm.contains_eager(Enrolment.cohort))
        .order_by(Cohort.start_date)
    ).all()
    return render_template(
        "cohorts/identity.html",
        form=form,
        learner=learner,
        enrolments=enrolments,
        identity=current,
        may_edit=access == "edit",
        may_erase=can_erase_person(current_person(), learner),
    )

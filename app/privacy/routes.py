"""Erasure on request, started by a coordinator from the learner's record."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.access import can_erase_person
from app.db import db, savepoint
from app.people.models import Role, User
from app.privacy.erasure import ErasureError, erase_person, plan_erasure
from app.privacy.forms import EraseForm
from app.route_rules import current_person, roles

bp = Blueprint("privacy", __name__)


@bp.route("/apprenants/<int:user_id>/effacement", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def erase(user_id: int) -> str | Response:
    me = current_person()
    person = db.session.get(User, user_id)
    if person is None or not can_erase_person(me, person):
        abort(404)
    form = EraseForm()
    if person.erased_at is None and form.validate_on_submit():
        try:
            with savepoint():
                plan = erase_person(person, actor=me)
        except ErasureError as error:
            flash(str(error), "error")
        else:
            flash(
                _(
                    "Données personnelles effacées. La personne apparaît désormais comme "
                    "« %(name)s ».",
                    name=person.full_name,
                ),
                "success",
            )
            return redirect(url_for(".erase", user_id=plan.person_id))
    return render_template(
        "privacy/erase.html", person=person, plan=plan_erasure(person), form=form
    )

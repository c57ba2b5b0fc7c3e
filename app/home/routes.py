"""Each person's home ("Mon espace"): where logging in lands, their work one click away."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SubmitField

from app.access import export_query, jury_session_query, managed_cohort_query, staff_cohort_query
from app.cohorts import enrolling
from app.cohorts.models import Cohort, EnrolmentInvitation, cohort_trainers
from app.db import db
from app.glossary import EXPORT_STATUS
from app.home import services
from app.jury.models import JurySession, jury_members
from app.people.models import Role
from app.route_rules import authenticated, current_person

bp = Blueprint("home", __name__)


@bp.get("/mon-espace")
@authenticated
def index() -> str | Response:
    me = current_person()
    offers = enrolling.pending_offers(me)
    if not me.has_role(Role.COORDINATOR, Role.TRAINER, Role.JURY):
        return redirect(url_for(".offers" if offers else "progress.me"))
    page: dict[str, object] = {"offers": offers}
    if me.has_role(Role.TRAINER):
        # The cohorts they teach (a trainer who also coordinates sees the others below).
        mine = staff_cohort_query(me).where(
            Cohort.id.in_(
                sa.select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == me.id)
            )
        )
        page["trained"] = services.cohort_summaries(mine)
    if me.has_role(Role.COORDINATOR):
        page["managed"] = services.cohort_summaries(managed_cohort_query(me))
        page["open_sessions"] = services.jury_summaries(jury_session_query(me), open_only=True)
        page["exports"] = services.unfinished_exports(export_query(me))
        page["dossier_gaps"] = services.dossier_gaps(me)
    if me.has_role(Role.JURY):
        seats = jury_session_query(me).where(
            JurySession.id.in_(
                sa.select(jury_members.c.jury_session_id).where(jury_members.c.user_id == me.id)
            )
        )
        page["seats"] = services.jury_summaries(seats, open_only=False)
    return render_template(
        "home/index.html",
        learner=me.has_role(Role.LEARNER),
        export_status_labels=EXPORT_STATUS,
        **page,
    )


# --- enrolments offered to an existing account --------------------------------------------------


class OfferForm(FlaskForm):
    accept = SubmitField(_l("Accepter l'inscription"))
    decline = SubmitField(_l("Refuser"))


@bp.get("/compte/inscriptions")
@authenticated
def offers() -> str:
    """The enrolments other organisations offered the person: nothing changes until they
    accept one."""
    return render_template(
        "home/offers.html",
        offers=enrolling.pending_offers(current_person()),
        form=OfferForm(),
    )


@bp.post("/compte/inscriptions/<int:offer_id>")
@authenticated
def answer_offer(offer_id: int) -> Response:
    offer = db.session.get(EnrolmentInvitation, offer_id)
    if offer is None or offer.user_id != current_person().id:
        abort(404)
    form = OfferForm()
    if not form.validate_on_submit():
        abort(400)
    accept = bool(form.accept.data)
    cohort_name = offer.cohort.name
    enrolling.answer_offer(offer, accept=accept)
    if accept:
        flash(_("Vous êtes inscrit·e dans la promotion « %(name)s ».", name=cohort_name), "success")
    else:
        flash(_("Inscription dans la promotion « %(name)s » refusée.", name=cohort_name))
    return redirect(url_for(".offers"))

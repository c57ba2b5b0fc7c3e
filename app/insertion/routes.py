"""Insertion survey pages (coordinators): promotions, answers, the two rates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.access import cohort_or_404, managed_cohort_query
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db, savepoint
from app.glossary import CONTRACT_TYPE, HORIZON, SITUATION, WORKING_TIME
from app.insertion import services
from app.insertion.forms import AnswerForm
from app.insertion.models import ContractType, Horizon
from app.people.models import Role
from app.route_rules import current_person, roles

bp = Blueprint("insertion", __name__, url_prefix="/insertion")


def _percent(rate: Any) -> str:
    return "—" if rate is None else format_percent(float(rate), format="#,##0.0 %")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "horizon_labels": HORIZON,
        "situation_labels": SITUATION,
        "contract_type_labels": CONTRACT_TYPE,
        "working_time_labels": WORKING_TIME,
        "horizons": list(Horizon),
        "contract_types": list(ContractType),
        "percent": _percent,
    }


@bp.get("/")
@roles(Role.COORDINATOR)
def index() -> str:
    cohorts = db.session.scalars(
        managed_cohort_query(current_person())
        .options(selectinload(Cohort.organisation))
        .order_by(Cohort.start_date.desc(), Cohort.name)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(Enrolment.cohort_id, sa.func.count())
            .where(
                Enrolment.cohort_id.in_([c.id for c in cohorts]),
                Enrolment.status == EnrolmentStatus.CERTIFIED,
            )
            .group_by(Enrolment.cohort_id)
        ).all()
    )
    return render_template("insertion/index.html", cohorts=cohorts, counts=counts)


@bp.get("/promotions/<int:cohort_id>")
@roles(Role.COORDINATOR)
def cohort(cohort_id: int) -> str:
    survey = services.cohort_survey(cohort_or_404(cohort_id, manage=True, refuse=404))
    return render_template("insertion/cohort.html", survey=survey)


def _answer_page(
    cohort: Cohort, enrolment: Enrolment, horizon: Horizon, form: AnswerForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "insertion/answer.html",
        cohort=cohort,
        enrolment=enrolment,
        horizon=horizon,
        form=form,
        history=services.history(enrolment.id, horizon),
    ), status


def _certified_or_404(
    cohort: Cohort, enrolment_id: int, horizon_value: str
) -> tuple[Enrolment, Horizon]:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if (
        enrolment is None
        or enrolment.cohort_id != cohort.id
        or enrolment.status is not EnrolmentStatus.CERTIFIED
        or horizon_value not in {h.value for h in Horizon}
    ):
        abort(404)
    return enrolment, Horizon(horizon_value)


@bp.get("/promotions/<int:cohort_id>/reponses/<int:enrolment_id>/<horizon>")
@roles(Role.COORDINATOR)
def answer(cohort_id: int, enrolment_id: int, horizon: str) -> tuple[str, int]:
    cohort = cohort_or_404(cohort_id, manage=True, refuse=404)
    enrolment, when = _certified_or_404(cohort, enrolment_id, horizon)
    current = services.current_answer(enrolment.id, when)
    data: dict[str, Any] = {"based_on": current.id if current else ""}
    if current is not None:
        data |= {
            "situation": current.situation.value,
            "contract_type": current.contract_type.value if current.contract_type else "",
            "answered_on": current.answered_on,
            "job_title": current.job_title,
            "rome_code": current.rome_code or "",
            "working_time": current.working_time.value if current.working_time else "",
            "sector": current.sector,
        }
    form = AnswerForm(enrolment, when, formdata=None, data=data)
    return _answer_page(cohort, enrolment, when, form)


@bp.post("/promotions/<int:cohort_id>/reponses/<int:enrolment_id>/<horizon>")
@roles(Role.COORDINATOR)
def record(cohort_id: int, enrolment_id: int, horizon: str) -> Response | tuple[str, int]:
    cohort = cohort_or_404(cohort_id, manage=True, refuse=404)
    enrolment, when = _certified_or_404(cohort, enrolment_id, horizon)
    form = AnswerForm(enrolment, when)
    if not form.validate_on_submit():
        return _answer_page(cohort, enrolment, when, form, 400)
    try:
        with savepoint():
            saved = services.record_answer(
                enrolment, when, form.answer(), current_person(), based_on=form.based_on.data
            )
    except services.StaleAnswerError as error:
        # Concurrency conflict: end this transaction, so that the next read sees the answer
        # the other person saved.
        db.session.rollback()  # concurrency conflict (see above)
        flash(str(error), "error")
        current = services.current_answer(enrolment.id, when)
        form.based_on.data = current.id if current else ""
        return _answer_page(cohort, enrolment, when, form, 409)
    except services.SurveyError as error:
        flash(str(error), "error")
        return _answer_page(cohort, enrolment, when, form, 400)
    if saved is None:
        flash(_("Réponse inchangée : rien n'a été enregistré."), "info")
    else:
        flash(_("Réponse enregistrée pour %(name)s.", name=enrolment.learner.full_name), "success")
    return redirect(url_for(".cohort", cohort_id=cohort.id))

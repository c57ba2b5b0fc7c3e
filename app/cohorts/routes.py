"""Organisations, cohorts, enrolments and trainers (the import: import_routes.py; identities:
identity_routes.py)."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app import dates
from app.access import (
    can_edit_certification,
    can_manage_cohort,
    cohort_or_404,
    jury_session_query,
    staff_cohort_query,
)
from app.cohorts import enrolling, services
from app.cohorts.forms import (
    ActionForm,
    AssignTrainerForm,
    CohortEditForm,
    CohortForm,
    EntryDateForm,
    LearnerForm,
    OrganisationForm,
    StatusForm,
    WithdrawCertificationForm,
)
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.db import after_commit, db, savepoint
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.glossary import BLOC_STATUS
from app.home import services as hub
from app.jury.models import JuryPresentation, JurySession
from app.names import name_key
from app.people import mail
from app.people.models import OrganisationKind, Role
from app.route_rules import current_person, roles

bp = Blueprint("cohorts", __name__)


# --- organisations -----------------------------------------------------------------------------


@bp.get("/organisations")
@roles(Role.COORDINATOR)
def organisations() -> str:
    return render_template(
        "cohorts/organisations.html", organisations=current_person().organisations
    )


@bp.route("/organisations/nouvelle", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new_organisation() -> str | Response:
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            with savepoint():
                services.create_organisation(
                    name=form.name.data,
                    kind=OrganisationKind(form.kind.data),
                    siret=form.siret.data,
                    creator=current_person(),
                )
        except IntegrityError:
            form.name.errors.append(_("Un organisme porte déjà ce nom ou ce SIRET."))
        else:
            flash(_("Organisme « %(name)s » créé.", name=form.name.data), "success")
            return redirect(url_for(".organisations"))
    return render_template("cohorts/organisation_form.html", form=form)


# --- cohorts -----------------------------------------------------------------------------------


@bp.get("/promotions")
@roles(Role.COORDINATOR, Role.TRAINER, Role.LEARNER)
def index() -> str | Response:
    me = current_person()
    if not me.has_role(Role.COORDINATOR, Role.TRAINER):
        return redirect(url_for("progress.me"))
    cohorts = db.session.scalars(
        staff_cohort_query(me)
        .options(
            sa.orm.joinedload(Cohort.organisation),
            sa.orm.joinedload(Cohort.version).joinedload(FrameworkVersion.certification),
        )
        .order_by(Cohort.start_date.desc(), Cohort.name)
    ).all()
    counts = services.enrolment_counts([c.id for c in cohorts])
    return render_template(
        "cohorts/index.html",
        cohorts=cohorts,
        counts=counts,
        coordinator=me.has_role(Role.COORDINATOR),
    )


def _published_versions() -> list[FrameworkVersion]:
    return list(
        db.session.scalars(
            sa.select(FrameworkVersion)
            .where(FrameworkVersion.status == VersionStatus.PUBLISHED)
            .options(sa.orm.joinedload(FrameworkVersion.certification))
            .order_by(FrameworkVersion.title, FrameworkVersion.id)
        )
    )


@bp.route("/promotions/nouvelle", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new() -> str | Response:
    me = current_person()
    form = CohortForm(organisations=me.organisations, versions=_published_versions())
    if form.validate_on_submit():
        try:
            with savepoint():
                cohort = services.create_cohort(
                    name=form.name.data,
                    organisation=form.organisations[form.organisation_id.data],
                    version=form.version,
                    start_date=form.start_date.data,
                    end_date=form.end_date.data,
                    access_route=AccessRoute(form.access_route.data),
                )
        except services.CohortError as error:
            flash(str(error), "error")
        except IntegrityError:
            form.name.errors.append(_("Cet organisme a déjà une promotion de ce nom."))
        else:
            flash(_("Promotion « %(name)s » ouverte.", name=cohort.name), "success")
            return redirect(url_for(".show", cohort_id=cohort.id))
    return render_template("cohorts/cohort_form.html", form=form, cohort=None)


@bp.get("/promotions/<int:cohort_id>")
@roles(Role.COORDINATOR, Role.TRAINER)
def show(cohort_id: int) -> str:
    me = current_person()
    cohort = services.load_cohort_page(staff_cohort_query(me), cohort_id)
    if cohort is None:
        abort(404)
    manage = can_manage_cohort(me, cohort)
    enrolments = sorted(cohort.enrolments, key=lambda e: (name_key(e.learner.full_name), e.id))
    context: dict[str, Any] = {
        "summary": hub.cohort_summaries(staff_cohort_query(me).where(Cohort.id == cohort.id))[0],
        "sessions": hub.evaluation_sessions(cohort.id),
        "jury_sessions": hub.cohort_jury_sessions(jury_session_query(me), cohort.id)
        if me.has_role(Role.COORDINATOR, Role.JURY)
        else [],
        "trainers": sorted(cohort.trainers, key=lambda t: (name_key(t.full_name), t.id)),
    }
    if manage:
        assigned = {t.id for t in cohort.trainers}
        context |= {
            "assign_form": AssignTrainerForm(
                trainers=[t for t in services.trainer_choices(me, cohort) if t.id not in assigned]
            ),
            "status_forms": {
                e.id: StatusForm(prefix=f"e{e.id}", status=e.status.value)
                for e in enrolments
                if e.status is not EnrolmentStatus.CERTIFIED
            },
            "may_withdraw": can_edit_certification(me, cohort.version.certification),
            "action_form": ActionForm(),
            "identities": services.identities_of([e.learner_id for e in enrolments]),
        }
    return render_template(
        "cohorts/show.html", cohort=cohort, enrolments=enrolments, manage=manage, **context
    )


@bp.get("/promotions/<int:cohort_id>/apprenants/<int:enrolment_id>")
@roles(Role.COORDINATOR, Role.TRAINER)
def learner(cohort_id: int, enrolment_id: int) -> str:
    """One learner's record in the cohort, for its staff: where they stand on each bloc."""
    cohort = cohort_or_404(cohort_id)
    record = hub.learner_record(cohort, enrolment_id)
    if record is None:
        abort(404)
    manage = can_manage_cohort(current_person(), cohort)
    entry_form = None
    if manage:
        entry_form = EntryDateForm(data={"entered_on": record.enrolment.entered_on})
    return render_template(
        "cohorts/learner.html",
        cohort=cohort,
        record=record,
        manage=manage,
        entry_form=entry_form,
        may_withdraw=can_edit_certification(current_person(), cohort.version.certification),
        bloc_status_labels=BLOC_STATUS,
    )


@bp.post("/promotions/<int:cohort_id>/apprenants/<int:enrolment_id>/entree")
@roles(Role.COORDINATOR)
def set_entry_date(cohort_id: int, enrolment_id: int) -> Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    form = EntryDateForm()
    back = redirect(url_for(".learner", cohort_id=cohort.id, enrolment_id=enrolment.id))
    if not form.validate_on_submit():
        flash(_("Date d'entrée invalide (attendu : une date) : rien n'a été changé."), "error")
        return back
    try:
        with savepoint():
            enrolling.set_entry_date(enrolment, form.entered_on.data)
    except services.CohortError as error:
        flash(str(error), "error")
    else:
        flash(_("Date d'entrée en formation enregistrée."), "success")
    return back


@bp.route("/promotions/<int:cohort_id>/modifier", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def edit(cohort_id: int) -> str | Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    form = CohortEditForm(
        data={
            "name": cohort.name,
            "start_date": cohort.start_date,
            "end_date": cohort.end_date,
            "access_route": cohort.access_route.value,
            "revision": cohort.revision,
        }
    )
    if form.validate_on_submit():
        try:
            with savepoint():
                services.update_cohort(
                    cohort,
                    revision=form.revision.data,
                    name=form.name.data,
                    start_date=form.start_date.data,
                    end_date=form.end_date.data,
                    access_route=AccessRoute(form.access_route.data),
                )
        except services.CohortError as error:
            flash(str(error), "error")
        except IntegrityError:
            form.name.errors.append(_("Cet organisme a déjà une promotion de ce nom."))
        else:
            flash(_("Promotion enregistrée."), "success")
            return redirect(url_for(".show", cohort_id=cohort.id))
    return render_template("cohorts/cohort_form.html", form=form, cohort=cohort)


# --- trainers ----------------------------------------------------------------------------------


@bp.post("/promotions/<int:cohort_id>/formateurs")
@roles(Role.COORDINATOR)
def assign_trainer(cohort_id: int) -> Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    form = AssignTrainerForm(trainers=services.trainer_choices(current_person(), cohort))
    if form.validate_on_submit():
        trainer = form.trainers[form.user_id.data]
        services.assign_trainer(cohort, trainer)
        flash(_("%(name)s est affecté·e à la promotion.", name=trainer.full_name), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for(".show", cohort_id=cohort.id))


@bp.post("/promotions/<int:cohort_id>/formateurs/<int:user_id>/retirer")
@roles(Role.COORDINATOR)
def unassign_trainer(cohort_id: int, user_id: int) -> Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    trainer = next((t for t in cohort.trainers if t.id == user_id), None)
    if trainer is None:
        abort(404)
    if ActionForm().validate_on_submit():
        services.unassign_trainer(cohort, trainer)
        flash(_("%(name)s est retiré·e de la promotion.", name=trainer.full_name), "success")
    else:
        flash(_("La demande n'a pas pu être vérifiée : rien n'a été changé."), "error")
    return redirect(url_for(".show", cohort_id=cohort.id))


# --- enrolments --------------------------------------------------------------------------------


@bp.route("/promotions/<int:cohort_id>/apprenants/nouveau", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new_learner(cohort_id: int) -> str | Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    form = LearnerForm()
    if form.validate_on_submit():
        try:
            with savepoint():
                result = enrolling.enrol_learner(
                    cohort, form.learner_data(form.email.data), actor=current_person()
                )
        except services.CohortError as error:
            form.email.errors.append(str(error))
        except IntegrityError:
            form.email.errors.append(
                _("%(email)s est déjà inscrit·e dans cette promotion.", email=form.email.data)
            )
        else:
            if result.invitation is not None:  # the new account's, or the offer's, mail
                after_commit(functools.partial(mail.send_quietly, result.invitation))
            if result.offer is not None:
                flash(
                    _(
                        "%(email)s a déjà un compte lié à un autre organisme : une inscription "
                        "lui est proposée ; elle sera effective quand la personne l'aura "
                        "acceptée.",
                        email=result.offer.user.email,
                    ),
                    "success",
                )
                return redirect(url_for(".show", cohort_id=cohort.id))
            assert result.enrolment is not None
            name = result.enrolment.learner.full_name
            if result.invitation is not None:
                flash(
                    _("%(name)s est inscrit·e ; une invitation lui est envoyée.", name=name),
                    "success",
                )
            elif result.identity_kept:
                flash(
                    _(
                        "%(name)s avait déjà un compte : inscrit·e, son identité enregistrée "
                        "est conservée.",
                        name=name,
                    ),
                    "success",
                )
            else:
                flash(_("%(name)s avait déjà un compte : inscrit·e.", name=name), "success")
            return redirect(url_for(".show", cohort_id=cohort.id))
    return render_template("cohorts/learner_form.html", form=form, cohort=cohort)


@bp.post("/promotions/<int:cohort_id>/apprenants/<int:enrolment_id>/statut")
@roles(Role.COORDINATOR)
def set_status(cohort_id: int, enrolment_id: int) -> Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    form = StatusForm(prefix=f"e{enrolment.id}")
    if form.validate_on_submit():
        try:
            with savepoint():
                enrolling.set_status(enrolment, EnrolmentStatus(form.status.data))
        except services.CohortError as error:
            flash(str(error), "error")
        else:
            flash(_("Statut de %(name)s enregistré.", name=enrolment.learner.full_name), "success")
    else:
        flash(_("Statut invalide : rien n'a été changé."), "error")
    return redirect(url_for(".show", cohort_id=cohort.id))


@bp.route("/inscriptions/<int:enrolment_id>/retrait-certification", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def withdraw_certification(enrolment_id: int) -> str | Response:
    """The certification owner's coordinator records the withdrawal of a certification."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or not can_edit_certification(
        current_person(), enrolment.cohort.version.certification
    ):
        abort(404)
    form = WithdrawCertificationForm()
    if form.validate_on_submit():
        try:
            with savepoint():
                enrolling.withdraw_certification(
                    enrolment,
                    reason=form.reason.data or "",
                    on=form.withdrawn_on.data,
                    by=current_person(),
                )
        except services.CohortError as error:
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            flash(
                _("Certification de %(name)s retirée.", name=enrolment.learner.full_name),
                "success",
            )
            return redirect(url_for(".withdraw_certification", enrolment_id=enrolment.id))
    elif request.method == "GET" and form.withdrawn_on.data is None:
        form.withdrawn_on.data = dates.today()
    me = current_person()
    return render_template(
        "cohorts/withdraw_certification.html",
        form=form,
        enrolment=enrolment,
        in_my_cohorts=db.session.scalar(
            staff_cohort_query(me)
            .where(Cohort.id == enrolment.cohort_id)
            .with_only_columns(Cohort.id)
        )
        is not None,
        jury_sessions=db.session.scalars(
            jury_session_query(me)
            .join(JuryPresentation, JuryPresentation.jury_session_id == JurySession.id)
            .where(JuryPresentation.enrolment_id == enrolment.id)
            .order_by(JurySession.session_date.desc())
        ).all(),
    )


# The learner import and identity pages join this blueprint.
from app.cohorts import identity_routes, import_routes  # noqa: E402, F401

"""Organisations, cohorts, enrolments, trainers and learner import."""

from __future__ import annotations

import functools
from pathlib import Path
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
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app import dates
from app.access import (
    can_edit_certification,
    can_erase_person,
    can_manage_cohort,
    cohort_or_404,
    current_person,
    identity_access,
    jury_session_query,
    organisation_ids,
    roles,
    staff_cohort_query,
)
from app.cohorts import enrolling, importer, importing, services
from app.cohorts.forms import (
    ActionForm,
    AssignTrainerForm,
    CohortEditForm,
    CohortForm,
    ConfirmImportForm,
    EntryDateForm,
    IdentityForm,
    ImportForm,
    LearnerForm,
    OrganisationForm,
    StatusForm,
    WithdrawCertificationForm,
)
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus, LearnerIdentity
from app.db import after_commit, db, savepoint
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.glossary import BLOC_STATUS
from app.home import services as hub
from app.jury.models import JuryPresentation, JurySession
from app.names import name_key
from app.people import mail
from app.people.models import OrganisationKind, Role, User
from exports.guard import Limits, size_text

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
            if result.offer is not None:
                if result.invitation is not None:
                    after_commit(functools.partial(mail.send_quietly, result.invitation))
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
                after_commit(functools.partial(mail.send_quietly, result.invitation))
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
        data = services.IdentityData(
            first_names=form.first_names,
            birth_name=form.birth_name.data,
            usage_name=form.usage_name.data or None,
            birth_date=form.birth_date.data,
            sex=form.sex_value,
            birth_commune_code=form.birth_commune_code.data or None,
            birth_country_code=form.birth_country_code.data or None,
        )
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


# --- import ------------------------------------------------------------------------------------


def _upload_folder() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "imports"


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _too_large_message() -> str:
    return _(
        "Le fichier dépasse %(size)s : découpez-le en plusieurs fichiers.",
        size=size_text(_limits().max_bytes),
    )


@bp.route("/promotions/<int:cohort_id>/import", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def import_learners(cohort_id: int) -> str | Response | tuple[str, int]:
    cohort = cohort_or_404(cohort_id, manage=True)
    page: dict[str, Any] = {"cohort": cohort, "parsed": None, "plan": None}
    # Refuse a huge body before reading it; the parser says the same for a smaller excess.
    request.max_content_length = _limits().max_bytes + 64 * 1024
    try:
        form = ImportForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.spreadsheet.errors = [_too_large_message()]
        return render_template("cohorts/import.html", form=form, **page), 413
    if submitted:
        upload = form.spreadsheet.data
        filename = upload.filename or ""
        data = upload.read(_limits().max_bytes + 1)
        parsed = importer.parse(data, filename, limits=_limits())
        page.update(parsed=parsed, filename=filename)
        if parsed.rows:
            page["plan"] = plan = importing.plan_import(cohort, parsed, actor=current_person())
            if parsed.ok and (plan.to_enrol or plan.offered):
                key = importing.store_upload(
                    _upload_folder(), cohort, current_person(), data, filename
                )
                page["confirm_form"] = ConfirmImportForm(
                    formdata=None, upload=key, filename=filename
                )
    return render_template("cohorts/import.html", form=form, **page)


@bp.post("/promotions/<int:cohort_id>/import/confirmer")
@roles(Role.COORDINATOR)
def confirm_import(cohort_id: int) -> str | Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    form = ConfirmImportForm()
    key = form.upload.data or ""
    data = importing.read_upload(_upload_folder(), key, cohort, current_person())
    if not form.validate_on_submit() or data is None:
        flash(_("Ce fichier n'est plus disponible : déposez-le de nouveau."), "error")
        return redirect(url_for(".import_learners", cohort_id=cohort.id))
    filename = form.filename.data or key
    # The stored file is read and checked again: nothing is taken on trust from the preview.
    parsed = importer.parse(data, key, limits=_limits())
    try:
        with savepoint():
            result = importing.import_learners(cohort, parsed, filename, actor=current_person())
    except services.CohortError as error:
        flash(str(error), "error")
        page = {
            "cohort": cohort,
            "form": ImportForm(formdata=None),
            "parsed": parsed,
            "plan": importing.plan_import(cohort, parsed, actor=current_person())
            if parsed.rows
            else None,
            "filename": filename,
        }
        return render_template("cohorts/import.html", **page)
    except IntegrityError:
        flash(
            _(
                "Une autre inscription a eu lieu pendant l'import : rien n'a été importé. "
                "Vérifiez de nouveau le fichier."
            ),
            "error",
        )
        return redirect(url_for(".import_learners", cohort_id=cohort.id))
    after_commit(functools.partial(importing.discard_upload, _upload_folder(), key))
    for invitation in [*result.invitations, *result.offers]:
        after_commit(functools.partial(mail.send_quietly, invitation))
    flash(
        _(
            "%(count)s apprenant·es inscrit·es, dont %(new)s invité·es à créer leur compte.",
            count=result.plan.to_enrol,
            new=len(result.invitations),
        ),
        "success",
    )
    if result.plan.offered:
        flash(
            ngettext(
                "%(num)d personne a un compte lié à un autre organisme : une inscription "
                "lui est proposée, effective quand elle l'aura acceptée.",
                "%(num)d personnes ont un compte lié à un autre organisme : une inscription "
                "leur est proposée, effective quand elles l'auront acceptée.",
                len(result.plan.offered),
            ),
            "success",
        )
    return redirect(url_for(".show", cohort_id=cohort.id))

"""Jury sessions: list, create, present learners, record decisions, close, minutes (PDF)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.access import (
    can_decide,
    can_edit_certification,
    can_run_jury_session,
    jury_member_query,
    jury_session_query,
    jury_versions_query,
    presentable_cohorts,
)
from app.assessment.progress import progress
from app.db import db, savepoint
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from app.glossary import ACCESS_ROUTE, DECISION, JURY_BLOC_STATUS
from app.jury import closing, services
from app.jury.forms import (
    CloseConfirmForm,
    EmptyForm,
    PresentForm,
    SessionForm,
    decision_form,
    session_decision_form,
)
from app.jury.models import JuryPresentation, JurySession
from app.names import name_key
from app.people.models import Role, User
from app.route_rules import current_person, roles
from exports.minutes import render_minutes

bp = Blueprint("jury", __name__, url_prefix="/jurys")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "decision_labels": DECISION,
        "jury_bloc_status_labels": JURY_BLOC_STATUS,
        "access_route_labels": ACCESS_ROUTE,
    }


def _session_or_404(session_id: int) -> JurySession:
    jury_session = services.load_session(jury_session_query(current_person()), session_id)
    if jury_session is None:
        abort(404)
    return jury_session


def _presentation_or_404(jury_session: JurySession, presentation_id: int) -> JuryPresentation:
    for presentation in jury_session.presentations:
        if presentation.id == presentation_id:
            return presentation
    abort(404)


def _versions_for(user: User) -> list[FrameworkVersion]:
    """Published (or retired) versions the coordinator may open a session on: followed by
    their organisations' cohorts, or of a certification their certifier owns."""
    return list(
        db.session.scalars(
            jury_versions_query(user)
            .join(FrameworkVersion.certification)
            .where(FrameworkVersion.status != VersionStatus.DRAFT)
            .options(selectinload(FrameworkVersion.certification))
            .order_by(Certification.code, FrameworkVersion.id)
        )
    )


def _jury_users(user: User) -> list[User]:
    """Jury members of the coordinator's organisations, with their organisations (the
    session's owner keeps its own: see `services.create_session`)."""
    users = db.session.scalars(
        jury_member_query(user).options(selectinload(User.organisations))
    ).all()
    return sorted(users, key=lambda u: (name_key(u.full_name), u.id))


def _member_label(member: User, user: User) -> str:
    """A member's name, with their organisations when the coordinator has several."""
    if len(user.organisations) < 2:
        return member.full_name
    mine = {o.id for o in user.organisations}
    names = sorted(o.name for o in member.organisations if o.id in mine)
    return f"{member.full_name} ({', '.join(names)})"


@bp.get("/")
@roles(Role.COORDINATOR, Role.JURY)
def index() -> str:
    sessions = db.session.scalars(
        services.sessions_query(jury_session_query(current_person()))
    ).all()
    return render_template(
        "jury/index.html", sessions=sessions, can_create=current_person().has_role(Role.COORDINATOR)
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new() -> Response | str:
    versions = {v.id: v for v in _versions_for(current_person())}
    me = current_person()
    users = {u.id: u for u in _jury_users(me)}
    form = SessionForm()
    form.version.choices = [
        SelectChoice(v.id, f"{v.certification.code} {v.label} — {v.title}")
        for v in versions.values()
    ]
    form.members.choices = [SelectChoice(u.id, _member_label(u, me)) for u in users.values()]
    if not form.validate_on_submit():
        return render_template("jury/new.html", form=form)
    version = versions[form.version.data]
    try:
        with savepoint():
            jury_session = services.create_session(
                version,
                form.session_date.data,
                form.location.data or "",
                [users[i] for i in form.members.data],
                form.external_members.data or "",
                current_person(),
            )
    except services.JuryError as error:
        form.members.errors = [*form.members.errors, str(error)]
        return render_template("jury/new.html", form=form)
    flash(_("Session de jury créée."), "success")
    return redirect(url_for(".show", session_id=jury_session.id))


def _show(jury_session: JurySession, present_form: PresentForm | None = None) -> str:
    version = services.load_version(jury_session)
    presentations = services.sorted_presentations(jury_session)
    runs = can_run_jury_session(current_person(), jury_session)
    if runs and not jury_session.is_closed and present_form is None:
        present_form = PresentForm(formdata=None)
    if present_form is not None:
        eligible = services.eligible_enrolments(jury_session, presentable_cohorts(jury_session))
        present_form.enrolments.choices = [
            SelectChoice(e.id, f"{e.learner.full_name} ({e.cohort.name})") for e in eligible
        ]
    return render_template(
        "jury/show.html",
        jury_session=jury_session,
        version=version,
        presentations=presentations,
        views=services.bloc_views(version, presentations),
        would_certify=closing.certification_outlook(jury_session, version, presentations),
        runs=runs,
        may_decide=can_decide(current_person(), jury_session) and not jury_session.is_closed,
        may_withdraw=can_edit_certification(current_person(), version.certification),
        present_form=present_form,
    )


@bp.get("/<int:session_id>")
@roles(Role.COORDINATOR, Role.JURY)
def show(session_id: int) -> str:
    return _show(_session_or_404(session_id))


def _change_then_show(session_id: int, change: Callable[[], object], done: str) -> Response:
    """Apply `change` and flash `done`, or flash why it was refused (nothing changed); then
    back to the session's page."""
    try:
        with savepoint():
            change()
    except services.JuryError as error:
        flash(str(error), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/<int:session_id>/presenter")
@roles(Role.COORDINATOR)
def present(session_id: int) -> Response | tuple[str, int]:
    jury_session = _session_or_404(session_id)
    if not can_run_jury_session(current_person(), jury_session):
        abort(403)
    form = PresentForm()
    eligible = {
        e.id: e
        for e in services.eligible_enrolments(jury_session, presentable_cohorts(jury_session))
    }
    form.enrolments.choices = [SelectChoice(i, str(i)) for i in eligible]
    if not form.validate_on_submit():
        return _show(jury_session, form), 400
    chosen = [eligible[i] for i in form.enrolments.data]
    return _change_then_show(
        session_id,
        lambda: services.present(jury_session, chosen, current_person()),
        _("Apprenant·es présenté·es au jury."),
    )


def _presentation_page(
    jury_session: JurySession, presentation: JuryPresentation, form: Any = None, status: int = 200
) -> tuple[str, int]:
    version = services.load_version(jury_session)
    views = services.bloc_views(version, [presentation])[presentation.id]
    state = progress(version, [presentation.enrolment_id])[presentation.enrolment_id]
    may_decide = can_decide(current_person(), jury_session) and not jury_session.is_closed
    if form is None and may_decide:
        form = decision_form(
            version.blocs,
            {v.bloc.id: v.proposed for v in views},
            formdata=None,
            data={
                "state": services.decisions_state(presentation),
                **{f"decision_{v.bloc.id}": v.decision.decision.value for v in views if v.decision},
                **{f"reason_{v.bloc.id}": v.decision.reason for v in views if v.decision},
            },
        )
    return render_template(
        "jury/presentation.html",
        jury_session=jury_session,
        presentation=presentation,
        enrolment=presentation.enrolment,
        version=version,
        views=views,
        competencies=state.competencies,
        form=form if may_decide else None,
        may_withdraw=can_edit_certification(current_person(), version.certification),
        withdraw_form=EmptyForm(formdata=None)
        if can_run_jury_session(current_person(), jury_session)
        and not jury_session.is_closed
        and not presentation.decisions
        else None,
    ), status


@bp.get("/<int:session_id>/presentations/<int:presentation_id>")
@roles(Role.COORDINATOR, Role.JURY)
def presentation(session_id: int, presentation_id: int) -> tuple[str, int]:
    jury_session = _session_or_404(session_id)
    return _presentation_page(jury_session, _presentation_or_404(jury_session, presentation_id))


@bp.post("/<int:session_id>/presentations/<int:presentation_id>")
@roles(Role.COORDINATOR, Role.JURY)
def decide(session_id: int, presentation_id: int) -> Response | tuple[str, int]:
    jury_session = _session_or_404(session_id)
    presentation = _presentation_or_404(jury_session, presentation_id)
    if not can_decide(current_person(), jury_session):
        abort(403)
    if jury_session.is_closed:
        flash(_("La session de jury est close : ses décisions ne peuvent plus changer."), "error")
        return redirect(
            url_for(".presentation", session_id=session_id, presentation_id=presentation_id)
        )
    version = services.load_version(jury_session)
    views = services.bloc_views(version, [presentation])[presentation.id]
    form = decision_form(version.blocs, {v.bloc.id: v.proposed for v in views})
    if not form.validate_on_submit():
        return _presentation_page(jury_session, presentation, form, 400)
    try:
        with savepoint():
            services.record_decisions(
                presentation,
                version,
                form.choices(),
                current_person(),
                expected_state=form.state.data,
            )
    except services.DecisionErrors as error:
        for bloc_id, message in error.errors.items():
            if f"reason_{bloc_id}" in form:
                form[f"reason_{bloc_id}"].errors.append(str(message))
        return _presentation_page(jury_session, presentation, form, 400)
    except services.StaleDecisionsError as error:
        # Keep what was typed, show the decisions now recorded beside it, and take the new
        # fingerprint: saving again is then a deliberate choice. Concurrency conflict: end
        # this transaction, so that the next reads see what the other person saved.
        db.session.rollback()  # concurrency conflict (see above)
        flash(str(error), "error")
        db.session.refresh(presentation, ["decisions"])
        form.state.data = services.decisions_state(presentation)
        return _presentation_page(jury_session, presentation, form, 409)
    except services.ClosedSessionError as error:
        flash(str(error), "error")
        return redirect(
            url_for(".presentation", session_id=session_id, presentation_id=presentation_id)
        )
    flash(
        _("Décisions enregistrées pour %(name)s.", name=presentation.enrolment.learner.full_name),
        "success",
    )
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/<int:session_id>/presentations/<int:presentation_id>/retirer")
@roles(Role.COORDINATOR)
def withdraw(session_id: int, presentation_id: int) -> Response:
    jury_session = _session_or_404(session_id)
    presentation = _presentation_or_404(jury_session, presentation_id)
    if not can_run_jury_session(current_person(), jury_session):
        abort(403)
    if EmptyForm().validate_on_submit():
        return _change_then_show(
            session_id,
            lambda: services.withdraw_presentation(presentation, current_person()),
            _("Présentation retirée."),
        )
    return redirect(url_for(".show", session_id=session_id))


def _decision_cells(
    version: FrameworkVersion, presentations: Sequence[JuryPresentation]
) -> list[tuple[int, int, str, str]]:
    return [
        (p.id, bloc.id, p.enrolment.learner.full_name, bloc.code)
        for p in presentations
        for bloc in version.blocs
    ]


def _decisions_page(
    jury_session: JurySession,
    version: FrameworkVersion,
    presentations: Sequence[JuryPresentation],
    form: Any,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "jury/decisions.html",
        jury_session=jury_session,
        version=version,
        presentations=presentations,
        views=services.bloc_views(version, presentations),
        form=form,
    ), status


@bp.route("/<int:session_id>/decisions", methods=["GET", "POST"])
@roles(Role.COORDINATOR, Role.JURY)
def decisions(session_id: int) -> Response | tuple[str, int]:
    """Every presented learner's decisions on every bloc, on one page; one save, all or
    nothing."""
    jury_session = _session_or_404(session_id)
    if not can_decide(current_person(), jury_session):
        abort(403)
    if jury_session.is_closed:
        flash(_("La session de jury est close : ses décisions ne peuvent plus changer."), "error")
        return redirect(url_for(".show", session_id=session_id))
    version = services.load_version(jury_session)
    presentations = services.sorted_presentations(jury_session)
    cells = _decision_cells(version, presentations)
    if request.method == "GET":
        data: dict[str, Any] = {"state": services.session_state(presentations)}
        for p in presentations:
            for d in p.decisions:
                data[f"decision_{p.id}_{d.bloc_id}"] = d.decision.value
                data[f"reason_{p.id}_{d.bloc_id}"] = d.reason
        form = session_decision_form(cells, formdata=None, data=data)
        return _decisions_page(jury_session, version, presentations, form)
    form = session_decision_form(cells)
    if not form.validate_on_submit():
        return _decisions_page(jury_session, version, presentations, form, 400)
    try:
        with savepoint():
            changed = services.record_session_decisions(
                jury_session,
                version,
                form.choices(),
                current_person(),
                expected_state=form.state.data,
            )
    except services.SessionDecisionErrors as error:
        for (p_id, b_id), message in error.errors.items():
            if f"reason_{p_id}_{b_id}" in form:
                form[f"reason_{p_id}_{b_id}"].errors.append(str(message))
            else:
                form.form_errors.append(str(message))
        return _decisions_page(jury_session, version, presentations, form, 400)
    except services.StaleDecisionsError as error:
        # Keep what was typed beside the decisions now recorded; saving again is deliberate.
        db.session.rollback()  # concurrency conflict: read afresh what the other person saved
        flash(str(error), "error")
        jury_session = _session_or_404(session_id)
        presentations = services.sorted_presentations(jury_session)
        form.state.data = services.session_state(presentations)
        return _decisions_page(jury_session, version, presentations, form, 409)
    except services.ClosedSessionError as error:
        flash(str(error), "error")
        return redirect(url_for(".show", session_id=session_id))
    flash(
        ngettext(
            "Décisions enregistrées : %(num)d personne concernée.",
            "Décisions enregistrées : %(num)d personnes concernées.",
            changed,
        )
        if changed
        else _("Aucune modification : rien à enregistrer."),
        "success" if changed else "info",
    )
    return redirect(url_for(".show", session_id=session_id))


def _close_page(
    jury_session: JurySession,
    problems: Sequence[str],
    status: int = 200,
) -> tuple[str, int]:
    version = services.load_version(jury_session)
    presentations = services.sorted_presentations(jury_session)
    outlook = closing.certification_outlook(jury_session, version, presentations)
    validated = closing.validated_after(jury_session, presentations)
    codes = {b.id: b.code for b in version.blocs}
    certified = [
        p for p in presentations if outlook[p.id] and p.enrolment.status.value == "enrolled"
    ]
    partial = [
        (p, [codes[b] for b in codes if b in validated[p.enrolment_id]])
        for p in presentations
        if p not in certified and validated[p.enrolment_id] & set(codes)
    ]
    return render_template(
        "jury/close.html",
        jury_session=jury_session,
        version=version,
        presentations=presentations,
        problems=problems,
        certified=certified,
        partial=partial,
        today=closing.today_in_france(),
        form=CloseConfirmForm(formdata=None) if not problems else None,
    ), status


@bp.route("/<int:session_id>/cloturer", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def close(session_id: int) -> Response | tuple[str, int]:
    """Close the session, after a step that says what becomes final (or why it cannot yet)."""
    jury_session = _session_or_404(session_id)
    if not can_run_jury_session(current_person(), jury_session):
        abort(403)
    if jury_session.is_closed:
        flash(_("La session est déjà close."), "info")
        return redirect(url_for(".show", session_id=session_id))
    if request.method == "GET":
        version = services.load_version(jury_session)
        problems = closing.closing_problems(
            jury_session, version, jury_session.presentations, closing.today_in_france()
        )
        return _close_page(jury_session, [str(p) for p in problems])
    if not CloseConfirmForm().validate_on_submit():
        return _close_page(
            jury_session,
            [_("Le formulaire a expiré : rechargez la page (la session n'a pas été close).")],
            400,
        )
    try:
        with savepoint():
            certified = closing.close_session(
                jury_session, services.load_version(jury_session), current_person()
            )
    except services.ClosingRefused as refused:
        return _close_page(_session_or_404(session_id), [str(p) for p in refused.problems], 409)
    except services.JuryError as error:
        flash(str(error), "error")
        return redirect(url_for(".show", session_id=session_id))
    flash(
        ngettext(
            "Session close. Certification obtenue : %(num)d personne.",
            "Session close. Certification obtenue : %(num)d personnes.",
            len(certified),
        ),
        "success",
    )
    return redirect(url_for(".show", session_id=session_id))


@bp.get("/<int:session_id>/proces-verbal.pdf")
@roles(Role.COORDINATOR, Role.JURY)
def minutes(session_id: int) -> Response:
    jury_session = _session_or_404(session_id)
    pdf = render_minutes(closing.minutes(jury_session, services.load_version(jury_session)))
    name = f"proces-verbal-jury-{jury_session.session_date.isoformat()}-{jury_session.id}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

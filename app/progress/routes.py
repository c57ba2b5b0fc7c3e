"""The learner's page and history, the attestation and its public verification, personal data."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.badges.services import BadgeRefused, issue_badge
from app.badges.verify import verify_text
from app.db import utcnow
from app.frameworks.structure import structure
from app.glossary import ACCESS_ROUTE, DECISION, ENROLMENT_STATUS
from app.people.links import public_url
from app.people.models import Role
from app.progress import attestations
from app.progress.forms import BadgeVerifyForm, VerifyForm
from app.progress.history import history_page
from app.progress.identity import identity_page
from app.progress.page import learner_page
from app.progress.personal_data import personal_data
from app.progress.records import own_enrolments
from app.route_rules import current_person, public, roles
from exports.attestation import render_attestation

bp = Blueprint("progress", __name__)


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the learner's page ------------------------------------------------------------------------


@bp.get("/me")
@roles(Role.LEARNER)
def me() -> str:
    today = to_user_timezone(utcnow()).date()
    page = learner_page(current_person(), today)
    return render_template("progress/me.html", page=page)


@bp.get("/me/historique")
@roles(Role.LEARNER)
def history() -> str:
    number = request.args.get("page", 1, type=int)
    if number < 1:
        abort(404)
    page = history_page(current_person(), number)
    if number > 1 and not page.entries:
        abort(404)
    return render_template("progress/history.html", history=page)


# --- attestation -------------------------------------------------------------------------------


@bp.get("/me/attestation.pdf")
@roles(Role.LEARNER)
def attestation() -> Response:
    enrolments = own_enrolments(current_person())
    enrolment = attestations.pick_enrolment(enrolments, request.args.get("inscription", type=int))
    if enrolment is None:
        if "inscription" in request.args:
            abort(404)
        flash(_("Vous n'êtes inscrit·e dans aucune promotion."), "error")
        return redirect(url_for(".me"))
    content = attestations.attestation_content(enrolment)
    if not content["blocs"]:
        flash(
            _(
                "Aucun bloc de compétences n'est encore validé par un jury pour cette "
                "promotion : il n'y a pas encore d'attestation à télécharger."
            ),
            "error",
        )
        return redirect(url_for(".me"))
    issued = attestations.issue_attestation(enrolment, content)
    # A PDF that cannot be made raises, and the request leaves no attestation behind.
    language = get_locale().language if get_locale() else "fr"
    pdf = render_attestation(attestations.stated(issued), public_url("progress.verify"), language)
    return _attachment(pdf, "application/pdf", f"attestation-{issued.code}.pdf")


# --- Open Badges ---------------------------------------------------------------------------------


def _badge_download(enrolment_id: int, bloc_code: str | None) -> Response:
    enrolment = attestations.pick_enrolment(own_enrolments(current_person()), enrolment_id)
    if enrolment is None:
        abort(404)
    bloc_id = None
    if bloc_code is not None:
        bloc_id = next(
            (b.id for b in structure(enrolment.cohort.version).blocs if b.code == bloc_code), None
        )
        if bloc_id is None:
            abort(404)
    try:
        badge = issue_badge(enrolment, bloc_id)
    except BadgeRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for(".me"))
    body = json.dumps(badge.credential, ensure_ascii=False, indent=2)
    code = bloc_code or enrolment.cohort.version.certification.code
    return _attachment(
        body, "application/ld+json", f"badge-{code}-{badge.valid_from.isoformat()}.json"
    )


@bp.get("/me/badges/<int:enrolment_id>/blocs/<bloc_code>.json")
@roles(Role.LEARNER)
def badge(enrolment_id: int, bloc_code: str) -> Response:
    return _badge_download(enrolment_id, bloc_code)


@bp.get("/me/badges/<int:enrolment_id>/certification.json")
@roles(Role.LEARNER)
def certification_badge(enrolment_id: int) -> Response:
    return _badge_download(enrolment_id, None)


@bp.route("/verifier", methods=["GET", "POST"])
@public
def verify() -> str | Response:
    form = VerifyForm()
    if form.validate_on_submit():
        return redirect(url_for(".verify_code", code=form.canonical))
    return render_template(
        "progress/verify.html",
        form=form,
        badge_form=BadgeVerifyForm(formdata=None, prefix="badge"),
        unknown=None,
    )


@bp.post("/verifier/badge")
@public
def verify_badge() -> tuple[str, int, dict[str, str]]:
    badge_form = BadgeVerifyForm(prefix="badge")
    headers = {"X-Robots-Tag": "noindex"}
    if not badge_form.validate_on_submit():
        html = render_template(
            "progress/verify.html",
            form=VerifyForm(formdata=None),
            badge_form=badge_form,
            unknown=None,
        )
        return html, 422, headers
    verdict = verify_text(badge_form.text)
    html = render_template("progress/badge_verified.html", verdict=verdict)
    return html, 200 if verdict.ok else 422, headers


@bp.get("/verifier/<code>")
@public
def verify_code(code: str) -> str | Response | tuple[str, int, dict[str, str]]:
    found = attestations.find_attestation(code)
    headers = {"X-Robots-Tag": "noindex"}
    if found is None:
        form = VerifyForm(formdata=None, code=code)
        html = render_template(
            "progress/verify.html",
            form=form,
            badge_form=BadgeVerifyForm(formdata=None, prefix="badge"),
            unknown=code,
        )
        return html, 404, headers
    if found.code != code:
        return redirect(url_for(".verify_code", code=found.code))
    html = render_template("progress/verified.html", a=attestations.stated(found))
    return html, 200, headers


# --- personal data -----------------------------------------------------------------------------


@bp.get("/me/identite")
@roles(Role.LEARNER)
def identity() -> str:
    """What the organisations hold on the learner's identity, read-only, and whom to ask
    for a correction."""
    return render_template("progress/identity.html", page=identity_page(current_person()))


@bp.get("/me/donnees")
@roles(Role.LEARNER)
def data_export() -> str:
    return render_template("progress/data_export.html")


@bp.get("/me/donnees.json")
@roles(Role.LEARNER)
def data_json() -> Response:
    data = personal_data(current_person())
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    day = to_user_timezone(utcnow()).date().isoformat()
    return _attachment(body, "application/json", f"mes-donnees-{day}.json")


@bp.get("/me/donnees.html")
@roles(Role.LEARNER)
def data_html() -> Response:
    data = personal_data(current_person())
    html = render_template(
        "progress/data_document.html",
        d=data,
        decision_labels=DECISION,
        enrolment_status_labels=ENROLMENT_STATUS,
        access_route_labels=ACCESS_ROUTE,
    )
    day = to_user_timezone(utcnow()).date().isoformat()
    return _attachment(html, "text/html", f"mes-donnees-{day}.html")

"""Accounts of the coordinator's organisations (list, invite, disable, re-enable) and the audit
journal."""

from __future__ import annotations

import functools
import math
from email.message import EmailMessage

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import audit_query, can_manage_user, managed_users_query
from app.db import after_commit, db, savepoint
from app.names import name_key
from app.people import mail, services
from app.people.forms import (
    ROLE_LABELS,
    EmptyForm,
    InviteForm,
)
from app.people.models import AuditEvent, Role, User
from app.people.routes import bp
from app.route_rules import current_person, roles

AUDIT_PAGE_SIZE = 50
OBJECT_TYPE_LABELS = {
    "users": _l("Comptes"),
    "organisations": _l("Organisations"),
    "cohorts": _l("Promotions"),
    "enrolments": _l("Inscriptions"),
    "certifications": _l("Certifications"),
    "framework_versions": _l("Versions de référentiel"),
}


# --- accounts administration -----------------------------------------------------------------


def _managed_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_manage_user(current_user, user):
        abort(404)
    return user


@bp.get("/comptes")
@roles(Role.COORDINATOR)
def users() -> str:
    query = managed_users_query(current_user)
    people = sorted(db.session.scalars(query), key=lambda u: (name_key(u.full_name), u.id))
    return render_template(
        "people/users.html",
        users=people,
        pending=services.pending_invitations(query),
        role_labels=ROLE_LABELS,
        form=EmptyForm(),
    )


@bp.route("/comptes/inviter", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def invite() -> str | Response:
    actor = current_person()
    available = actor.organisations
    # With a single organisation, it is ticked already.
    preselected = [available[0].id] if len(available) == 1 else []
    form = InviteForm(available, organisations=preselected)
    if form.validate_on_submit():
        chosen = [o for o in available if o.id in (form.organisations.data or [])]
        try:
            with savepoint():
                message = services.invite(
                    actor,
                    email=form.email.data or "",
                    full_name=form.full_name.data or "",
                    roles=[Role(value) for value in form.roles.data or []],
                    organisations=chosen,
                )
        except services.AccountError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            _flash_sent(message, _("Invitation envoyée à %(email)s.", email=message["To"]))
            return redirect(url_for("people.users"))
    return render_template("people/invite.html", form=form)


def _flash_sent(message: EmailMessage, done: str) -> None:
    """Once the account is saved, send `message` and say whether it went out."""
    after_commit(functools.partial(_send_and_flash, message, done))


def _send_and_flash(message: EmailMessage, done: str) -> None:
    if mail.send_quietly(message):
        flash(done)
    else:
        flash(
            _(
                "Le compte est enregistré mais le message à %(email)s n'a pas pu être envoyé. "
                "Réessayez plus tard avec « Renvoyer l'invitation ».",
                email=message["To"],
            ),
            "error",
        )


@bp.route("/comptes/<int:user_id>/desactiver", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def disable(user_id: int) -> Response | str:
    """Ask first (what disabling does), then disable on the confirmed POST."""
    user = _managed_user_or_404(user_id)
    if request.method == "GET":
        invited = not user.active or user.password_hash is None
        return render_template(
            "confirm.html",
            title=_("Annuler l'invitation de %(name)s ?", name=user.full_name)
            if invited
            else _("Désactiver le compte de %(name)s ?", name=user.full_name),
            consequences=[
                _(
                    "%(name)s ne pourra plus se connecter ; ses sessions ouvertes sont fermées.",
                    name=user.full_name,
                ),
                _("Ses données (résultats, décisions, historique) sont conservées."),
                _("Vous pourrez réactiver le compte depuis la page « Comptes »."),
            ],
            action=url_for("people.disable", user_id=user.id),
            confirm_label=_("Annuler l'invitation") if invited else _("Désactiver le compte"),
            cancel_url=url_for("people.users"),
            crumbs=[(_("Comptes"), url_for("people.users")), (user.full_name, None)],
        )
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with savepoint():
            services.disable(current_person(), user)
    except services.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("people.users"))
    flash(_("Le compte de %(name)s est désactivé.", name=user.full_name))
    return redirect(url_for("people.users"))


@bp.post("/comptes/<int:user_id>/reactiver")
@roles(Role.COORDINATOR)
def enable(user_id: int) -> Response:
    user = _managed_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    message = services.enable(current_person(), user)
    if message is not None:
        _flash_sent(message, _("Nouvelle invitation envoyée à %(email)s.", email=user.email))
    else:
        flash(_("Le compte de %(name)s est réactivé.", name=user.full_name))
    return redirect(url_for("people.users"))


# --- audit log -------------------------------------------------------------------------------


@bp.get("/journal")
@roles(Role.COORDINATOR)
def audit() -> str:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    object_type = request.args.get("type") or None
    # Each coordinator reads the events of their organisations only.
    mine = audit_query(current_user)
    query = (
        sa.select(AuditEvent, User.full_name)
        .outerjoin(User, AuditEvent.actor_id == User.id)
        .where(mine)
    )
    counting = sa.select(sa.func.count(AuditEvent.id)).where(mine)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
        counting = counting.where(AuditEvent.object_type == object_type)
    total = db.session.scalar(counting) or 0
    pages = max(math.ceil(total / AUDIT_PAGE_SIZE), 1)
    if page > pages:
        abort(404)
    events = db.session.execute(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    types = db.session.scalars(
        sa.select(AuditEvent.object_type).where(mine).distinct().order_by(AuditEvent.object_type)
    ).all()
    return render_template(
        "people/audit.html",
        events=events,
        page=page,
        pages=pages,
        total=total,
        object_type=object_type,
        types=types,
        type_labels=OBJECT_TYPE_LABELS,
    )

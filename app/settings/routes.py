"""The certifier's settings page, for the coordinators of a certifier organisation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import certifier_organisations
from app.people.models import Organisation, Role
from app.route_rules import current_person, roles
from app.settings import services
from app.settings.forms import CertifierSettingsForm

bp = Blueprint("settings", __name__)


@bp.app_template_global()
def edits_certifier_settings() -> bool:
    """Whether the person sees the link to the certifier's settings (no query: memberships
    are loaded with the account)."""
    return current_user.is_authenticated and bool(certifier_organisations(current_person()))


def _organisation_or_abort() -> tuple[Organisation, list[Organisation]]:
    """The certifier organisation asked for (`?organisation=`), else the first one; 403 for a
    coordinator of no certifier, 404 for a certifier they do not coordinate."""
    mine = certifier_organisations(current_person())
    if not mine:
        abort(403)
    wanted = request.args.get("organisation", type=int)
    if wanted is None:
        return mine[0], mine
    chosen = next((org for org in mine if org.id == wanted), None)
    if chosen is None:
        abort(404)
    return chosen, mine


@bp.route("/parametres", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def index() -> str | Response:
    organisation, mine = _organisation_or_abort()
    stored = services.settings_of(organisation)
    form = CertifierSettingsForm(
        organisation,
        data={
            "siret": organisation.siret or "",
            "accrochage_client_id": (stored.accrochage_client_id if stored else None) or "",
            "accrochage_contract_id": (stored.accrochage_contract_id if stored else None) or "",
        },
    )
    if form.validate_on_submit():
        changed = services.update_settings(
            organisation,
            siret=form.siret.data,
            client_id=form.accrochage_client_id.data or None,
            contract_id=form.accrochage_contract_id.data or None,
            actor=current_person(),
        )
        if changed:
            flash(_("Paramètres du certificateur enregistrés."), "success")
        else:
            flash(_("Aucun changement : les paramètres étaient déjà ceux-là."), "info")
        return redirect(url_for(".index", organisation=organisation.id))
    return render_template(
        "settings/index.html",
        form=form,
        organisation=organisation,
        organisations=mine,
        stored=stored,
        fallback=services.configured_fallback(),
    )

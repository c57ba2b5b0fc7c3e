"""The person's own two-factor settings, reached from their account (password) page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.db import commit
from app.people import services, two_factor
from app.people.forms import ConfirmTwoFactorForm, PasswordConfirmForm
from app.people.models import User
from app.people.routes import _retry_minutes, bp
from app.route_rules import authenticated, current_person

T = TypeVar("T")


def _password_forms() -> tuple[PasswordConfirmForm, PasswordConfirmForm]:
    disable = PasswordConfirmForm(prefix="disable")
    disable.submit.label.text = _("Désactiver la double authentification")
    codes = PasswordConfirmForm(prefix="codes")
    codes.submit.label.text = _("Remplacer mes codes de secours")
    return disable, codes


def _page(
    form: ConfirmTwoFactorForm | None = None,
    disable_form: PasswordConfirmForm | None = None,
    codes_form: PasswordConfirmForm | None = None,
) -> str:
    user = current_person()
    context: dict[str, object] = {
        "enabled": two_factor.is_enabled(user),
        "required": two_factor.is_required(user),
    }
    if two_factor.is_enabled(user):
        disable, codes = _password_forms()
        context.update(
            enabled_at=user.totp_enabled_at,
            codes_left=two_factor.codes_left(user),
            disable_form=disable_form or disable,
            codes_form=codes_form or codes,
        )
    else:
        secret = two_factor.pending_secret(user)  # kept until confirmed, however often shown
        context.update(
            form=form or ConfirmTwoFactorForm(),
            qr_svg=two_factor.qr_svg(two_factor.provisioning_uri(user, secret)),
            secret=two_factor.grouped(secret),
        )
    return render_template("people/two_factor.html", **context)


def _codes_page(codes: list[str]) -> str:
    return render_template(
        "people/recovery_codes.html", codes=codes, next_url=url_for("people.two_factor_settings")
    )


@bp.route("/compte/double-authentification", methods=["GET", "POST"])
@authenticated
def two_factor_settings() -> str | Response:
    user = current_person()
    if request.method == "POST" and two_factor.is_enabled(user):
        return redirect(url_for("people.two_factor_settings"))
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm(user, form.code.data or "")
        except ValueError:
            form.code.errors = [
                *form.code.errors,
                _("Ce code ne correspond pas : vérifiez l'heure de votre téléphone et réessayez."),
            ]
        else:
            return _codes_page(codes)
    return _page(form if request.method == "POST" else None)


def _with_password(form: PasswordConfirmForm, change: Callable[[User, str], T]) -> T | None:
    """Run `change` with the typed password, the attempt counted like a login attempt."""
    if not form.validate_on_submit():
        return None
    user = current_person()
    try:
        services.count_login_attempt(user.email, request.remote_addr)
    except services.Throttled as exc:
        message = ngettext(
            "Trop de tentatives : patientez %(num)d minute.",
            "Trop de tentatives : patientez %(num)d minutes.",
            _retry_minutes(exc),
        )
        form.password.errors = [*form.password.errors, message]
        return None
    commit()  # counted before the password is checked
    try:
        result = change(user, form.password.data or "")
    except two_factor.WrongPassword:  # raised before anything changed
        form.password.errors = [*form.password.errors, _("Le mot de passe est incorrect.")]
        return None
    services.password_confirmed(user, request.remote_addr)
    return result


def _turn_off(user: User, password: str) -> bool:
    two_factor.disable(user, password)
    return True


@bp.post("/compte/double-authentification/desactiver")
@authenticated
def two_factor_disable() -> str | Response:
    user = current_person()
    if not two_factor.is_enabled(user):
        return redirect(url_for("people.two_factor_settings"))
    if two_factor.is_required(user):
        flash(_("La double authentification est obligatoire pour votre rôle."), "error")
        return redirect(url_for("people.two_factor_settings"))
    form, _codes = _password_forms()
    if _with_password(form, _turn_off) is None:
        return _page(disable_form=form)
    flash(_("La double authentification est désactivée."))
    return redirect(url_for("people.two_factor_settings"))


@bp.post("/compte/double-authentification/codes")
@authenticated
def two_factor_codes() -> str | Response:
    if not two_factor.is_enabled(current_person()):
        return redirect(url_for("people.two_factor_settings"))
    _disable, form = _password_forms()
    codes = _with_password(form, two_factor.regenerate_codes)
    if codes is None:
        return _page(codes_form=form)
    return _codes_page(codes)

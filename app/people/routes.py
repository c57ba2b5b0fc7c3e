"""Log in and out, passwords and invitations (the accounts' administration and the journal:
admin_routes.py; the person's own two-factor settings: account_routes.py)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import timedelta
from typing import cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response

from app.db import after_commit, commit, utcnow
from app.jobs.queue import dispatch
from app.people import links, services, tasks, two_factor
from app.people.auth import load_user
from app.people.forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    EmptyForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    TwoFactorCodeForm,
)
from app.people.models import Role, TokenPurpose, User
from app.route_rules import authenticated, current_person, public

bp = Blueprint("people", __name__)


@bp.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """Check the public address and register the mail jobs, once per application."""
    app = cast(Flask, state.app)
    links.configure(app)
    tasks.register_jobs(app)


@bp.app_errorhandler(SecurityError)
def untrusted_host(error: SecurityError) -> tuple[str, int, dict[str, str]]:
    """A Host outside TRUSTED_HOSTS: a plain answer, since no link can be built for it."""
    return _("Adresse du site non reconnue."), 400, {"Content-Type": "text/plain; charset=utf-8"}


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """Whether a page exists, so the header links only to features that are installed."""
    return name in current_app.view_functions


@bp.app_context_processor
def role_global() -> dict[str, object]:
    return {"Role": Role}


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no backslash, no control character."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _next_or_home() -> str:
    target = request.args.get("next")
    return target if target and is_safe_next(target) else url_for("home.index")


def _start_session(user: User) -> None:
    login_user(user)
    session.permanent = True  # idle expiry: PERMANENT_SESSION_LIFETIME, renewed on each request


# --- logging in and out ----------------------------------------------------------------------


def _retry_minutes(exc: services.Throttled) -> int:
    return max(1, math.ceil(exc.retry_after.total_seconds() / 60))


def _throttled_login(form: LoginForm, exc: services.Throttled) -> tuple[str, int, dict[str, str]]:
    minutes = _retry_minutes(exc)
    error = ngettext(
        "Trop de tentatives de connexion ont échoué depuis votre poste. Par sécurité, "
        "patientez %(num)d minute avant de réessayer.",
        "Trop de tentatives de connexion ont échoué depuis votre poste. Par sécurité, "
        "patientez %(num)d minutes avant de réessayer.",
        minutes,
    )
    page = render_template("people/login.html", form=form, error=error)
    return page, 429, {"Retry-After": str(minutes * 60)}


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email, client = form.email.data or "", request.remote_addr
        try:
            services.count_login_attempt(email, client)
        except services.Throttled as exc:
            commit()  # a refused attempt is recorded too, though the answer is an error (429)
            return _throttled_login(form, exc)
        commit()  # before the password is checked, so that concurrent attempts see the count
        try:
            user = services.authenticate(email, form.password.data or "", client)
        except services.AccountDisabled:
            error = _("Ce compte est désactivé. Adressez-vous à votre coordinateur·rice.")
        else:
            if user is not None:
                return _after_password(user)
            error = _("Adresse e-mail ou mot de passe incorrect.")
    return render_template("people/login.html", form=form, error=error)


# --- the second factor ------------------------------------------------------------------------
# Between the password and the session, the person's id waits in the (signed) session cookie
# for PENDING_MINUTES; only the second-factor pages read it.

PENDING_KEY = "pending_login"
PENDING_MINUTES = 10


def _after_password(user: User) -> Response:
    """Open the session, or first ask for the second factor (or for setting it up)."""
    if two_factor.is_enabled(user) or two_factor.is_required(user):
        session[PENDING_KEY] = {
            "user": user.get_id(),
            "next": _next_or_home(),
            "until": (utcnow() + timedelta(minutes=PENDING_MINUTES)).timestamp(),
        }
        step = "people.login_code" if two_factor.is_enabled(user) else "people.login_setup"
        return redirect(url_for(step))
    return _finish_login(user, _next_or_home())


def _finish_login(user: User, target: str) -> Response:
    session.pop(PENDING_KEY, None)
    services.record_login(user)
    _start_session(user)
    return redirect(target if is_safe_next(target) else url_for("home.index"))


def _pending() -> tuple[User, str] | None:
    """The person between password and second factor, and where they were going."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict) or float(state.get("until", 0)) < utcnow().timestamp():
        session.pop(PENDING_KEY, None)
        return None
    user = load_user(str(state.get("user", "")))
    if user is None:
        return None
    return user, str(state.get("next") or "")


def _second_factor_throttled(
    template: str, exc: services.Throttled, **context: object
) -> tuple[str, int, dict[str, str]]:
    minutes = _retry_minutes(exc)
    error = ngettext(
        "Trop de codes incorrects. Par sécurité, patientez %(num)d minute avant de réessayer.",
        "Trop de codes incorrects. Par sécurité, patientez %(num)d minutes avant de réessayer.",
        minutes,
    )
    page = render_template(template, error=error, **context)
    return page, 429, {"Retry-After": str(minutes * 60)}


@bp.route("/connexion/code", methods=["GET", "POST"])
@public
def login_code() -> str | Response | tuple[str, int, dict[str, str]]:
    pending = _pending()
    if pending is None:
        return redirect(url_for("people.login"))
    user, target = pending
    if not two_factor.is_enabled(user):
        return redirect(url_for("people.login_setup"))
    form = TwoFactorCodeForm()
    error = None
    if form.validate_on_submit():
        client = request.remote_addr
        try:
            services.count_second_factor_attempt(user, client)
        except services.Throttled as exc:
            commit()  # the refused attempt is recorded, though the answer is an error (429)
            return _second_factor_throttled("people/login_code.html", exc, form=form)
        commit()  # counted before the code is checked, so concurrent attempts see the count
        if two_factor.check(user, form.code.data or ""):
            services.forget_second_factor_attempts(user, client)
            return _finish_login(user, target)
        error = _(
            "Ce code n'est pas valable : vérifiez l'heure de votre téléphone, ou essayez un "
            "code de secours."
        )
    return render_template("people/login_code.html", form=form, error=error)


@bp.route("/connexion/double-authentification", methods=["GET", "POST"])
@public
def login_setup() -> str | Response | tuple[str, int, dict[str, str]]:
    """Set up the second factor at login, for those whose role requires it."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("people.login"))
    user, target = pending
    if two_factor.is_enabled(user):
        return redirect(url_for("people.login_code"))
    secret = two_factor.pending_secret(user)  # kept until confirmed, however often shown
    form = ConfirmTwoFactorForm()
    context = _setup_context(user, secret)
    if form.validate_on_submit():
        client = request.remote_addr
        try:
            services.count_second_factor_attempt(user, client)
        except services.Throttled as exc:
            commit()  # the refused attempt is recorded, though the answer is an error (429)
            return _second_factor_throttled("people/login_setup.html", exc, form=form, **context)
        commit()  # counted before the code is checked
        try:
            codes = two_factor.confirm(user, form.code.data or "")
        except ValueError:
            form.code.errors = [*form.code.errors, _wrong_code()]
        else:
            services.forget_second_factor_attempts(user, client)
            response = _finish_login(user, target)
            return render_template(
                "people/recovery_codes.html", codes=codes, next_url=response.location
            )
    return render_template("people/login_setup.html", form=form, **context)


def _wrong_code() -> str:
    return _("Ce code ne correspond pas : vérifiez l'heure de votre téléphone et réessayez.")


def _setup_context(user: User, secret: str) -> dict[str, object]:
    uri = two_factor.provisioning_uri(user, secret)
    return {"qr_svg": two_factor.qr_svg(uri), "secret": two_factor.grouped(secret)}


@bp.post("/deconnexion")
@authenticated
def logout() -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.log_out(current_person())
    logout_user()
    flash(_("Vous êtes déconnecté·e."))
    return redirect(url_for("people.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@authenticated
def change_password() -> str | Response:
    user = current_person()
    form = ChangePasswordForm(user)
    if form.validate_on_submit():
        services.change_password(user, form.new_password.data or "")
        _start_session(user)  # this session goes on with the new session version
        flash(_("Mot de passe changé. Vos autres sessions ont été fermées."))
        return redirect(url_for("frameworks.index"))
    return render_template(
        "people/change_password.html",
        form=form,
        two_factor_enabled=two_factor.is_enabled(user),
        two_factor_required=two_factor.is_required(user),
    )


# --- one-time links --------------------------------------------------------------------------


def _invalid_link(purpose: TokenPurpose) -> tuple[str, int]:
    return render_template("people/link_invalid.html", purpose=purpose.value), 410


def _set_password_page(
    token: str, purpose: TokenPurpose, use: Callable[[str, str], User], done: str
) -> str | Response | tuple[str, int]:
    """The page of a one-time link that sets the password; `use(token, password)` spends it."""
    try:
        user = services.find_token(token, purpose).user
    except services.TokenInvalid:
        return _invalid_link(purpose)
    if purpose is TokenPurpose.PASSWORD_RESET and not user.active:
        return _invalid_link(purpose)
    form = SetPasswordForm(user)
    if form.validate_on_submit():
        try:
            use(token, form.new_password.data or "")
        except services.TokenInvalid:
            return _invalid_link(purpose)
        flash(done)
        return redirect(url_for("people.login"))
    return render_template(
        "people/set_password.html",
        form=form,
        user=user,
        invitation=purpose is TokenPurpose.INVITATION,
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    return _set_password_page(
        token,
        TokenPurpose.INVITATION,
        services.accept_invitation,
        _("Votre compte est activé : vous pouvez vous connecter."),
    )


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def forgot_password() -> str | tuple[str, int, dict[str, str]]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            job = services.request_password_reset(form.email.data or "", request.remote_addr)
        except services.Throttled as exc:
            commit()  # the refused request is counted, though the answer is an error (429)
            minutes = _retry_minutes(exc)
            error = ngettext(
                "Trop de demandes de réinitialisation depuis votre poste : réessayez dans "
                "%(num)d minute.",
                "Trop de demandes de réinitialisation depuis votre poste : réessayez dans "
                "%(num)d minutes.",
                minutes,
            )
            page = render_template("people/forgot_password.html", form=form, error=error)
            return page, 429, {"Retry-After": str(minutes * 60)}
        if job is not None:
            # The mail leaves from the job queue (at once when JOBS_INLINE), once committed.
            after_commit(functools.partial(dispatch, job))
        # The same answer whether an account has this address or not.
        return render_template("people/forgot_password_sent.html")
    return render_template("people/forgot_password.html", form=form)


@bp.route("/reinitialisation/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> str | Response | tuple[str, int]:
    return _set_password_page(
        token,
        TokenPurpose.PASSWORD_RESET,
        services.reset_password,
        _("Mot de passe enregistré : vous pouvez vous connecter."),
    )


# The person's own two-factor settings and the accounts' administration join this blueprint.
from app.people import account_routes, admin_routes  # noqa: E402, F401

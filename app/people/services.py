"""Accounts: logging in and out, passwords, one-time links, invitations, enabling and disabling.

Every write records an audit event; nothing here commits (the route or command does).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.db import db, utcnow
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.people import audit, counters, mail, passwords
from app.people.auth import end_all_sessions
from app.people.models import (
    OneTimeToken,
    Organisation,
    RecoveryCode,
    Role,
    TokenPurpose,
    User,
    UserRole,
)

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_TOKEN_LENGTH = 100


class AccountError(Exception):
    """A refused change, with a message for people (French)."""


class PasswordRejected(AccountError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class AccountDisabled(Exception):
    """The right password, but the account is disabled."""


class TokenInvalid(Exception):
    """An unknown, used or expired one-time link."""


class Throttled(Exception):
    """Too many attempts: the key is paused until `until`."""

    def __init__(self, verdicts: Iterable[counters.Verdict]) -> None:
        ends = [v.blocked_until for v in verdicts if v.blocked_until is not None]
        self.until = max(ends) if ends else utcnow()
        super().__init__(self.until)

    @property
    def retry_after(self) -> timedelta:
        return max(self.until - utcnow(), timedelta(0))


RESET_MAIL_JOB = "mail.password_reset"


# --- checks shared by the forms and the command line ----------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        return _("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")
    return None


def name_problem(name: str) -> str | None:
    if not name.strip():
        return _("Indiquez le nom de la personne.")
    if len(name) > 200:
        return _("Le nom ne doit pas dépasser 200 caractères.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        return _("Le nom contient des caractères non imprimables.")
    return None


def _set_password(user: User, password: str) -> None:
    """Set a new password; any reset link issued before stops working."""
    problems = passwords.password_problems(password, email=user.email, name=user.full_name)
    if problems:
        raise PasswordRejected(problems)
    user.password_hash = passwords.hash_password(password)
    _revoke_tokens(user, TokenPurpose.PASSWORD_RESET)


# --- logging in and out ----------------------------------------------------------------------


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(current_app.config[name]))


def _login_policy(limit_setting: str) -> counters.Policy:
    config = current_app.config
    return counters.Policy(
        limit=int(config[limit_setting]),
        delay=timedelta(seconds=int(config["LOGIN_THROTTLE_DELAY_SECONDS"])),
        max_delay=_minutes("LOGIN_THROTTLE_MAX_DELAY_MINUTES"),
        forget_after=timedelta(hours=int(config["LOGIN_THROTTLE_FORGET_HOURS"])),
    )


def _login_keys(email: str, client: str | None) -> tuple[str, str]:
    """The counters of a login: the address-and-client pair, and the client alone."""
    return counters.key("login", email, client), counters.key("login-client", client)


def count_login_attempt(email: str, client: str | None) -> None:
    """Count a login attempt before its password is checked; raise Throttled when paused.

    The caller commits at once, so that concurrent attempts see each other's counts: the
    pair's limit then bounds the passwords checked, however many requests arrive together.
    """
    pair, by_client = _login_keys(normalise_email(email), client)
    verdicts = [
        counters.hit(pair, _login_policy("LOGIN_THROTTLE_FAILURES")),
        counters.hit(by_client, _login_policy("LOGIN_THROTTLE_CLIENT_FAILURES")),
    ]
    if not all(v.allowed for v in verdicts):
        raise Throttled(verdicts)


def count_second_factor_attempt(user: User, client: str | None) -> None:
    """Count a second-factor code typed for `user` from `client`; raise Throttled when paused."""
    verdict = counters.hit(
        counters.key("two-factor", str(user.id), client), _login_policy("LOGIN_THROTTLE_FAILURES")
    )
    if not verdict.allowed:
        raise Throttled([verdict])


def forget_second_factor_attempts(user: User, client: str | None) -> None:
    counters.forget(counters.key("two-factor", str(user.id), client))


def authenticate(email: str, password: str, client: str | None) -> User | None:
    """Return the user whose credentials these are, or None.

    The attempt was counted by `count_login_attempt()`; a success forgets the pair's count
    and gives the client's back. Raises AccountDisabled for the right password of a disabled
    account. The login is complete once `record_login()` runs (after the second factor).
    """
    email = normalise_email(email)
    user = user_by_email(email)
    if not passwords.verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None and user.password_hash is not None
    if not user.active:
        raise AccountDisabled
    pair, by_client = _login_keys(email, client)
    counters.forget(pair)
    counters.refund(by_client, _login_policy("LOGIN_THROTTLE_CLIENT_FAILURES"))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def password_confirmed(user: User, client: str | None) -> None:
    """After the right password was typed to confirm a change: forget the pair's attempts."""
    pair, by_client = _login_keys(user.email, client)
    counters.forget(pair)
    counters.refund(by_client, _login_policy("LOGIN_THROTTLE_CLIENT_FAILURES"))


def record_login(user: User) -> None:
    """Note a completed login (after the second factor, when there is one)."""
    user.last_login_at = utcnow()
    audit.record("user.login", user, _("Connexion de %(name)s", name=user.full_name), actor=user)


def forget_sign_in_data(user: User) -> None:
    """Remove what signing in keeps about `user` (erasure): two-factor secret and codes, and
    the reset counter of their address (login counters are digests with the client's address,
    forgotten after LOGIN_THROTTLE_FORGET_HOURS)."""
    counters.forget(counters.key("reset-address", user.email))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def log_out(user: User) -> None:
    """End every session of `user`, on every device."""
    end_all_sessions(user)
    audit.record("user.logout", user, _("Déconnexion de %(name)s", name=user.full_name), actor=user)


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every session of `user` (the caller logs this one back in)."""
    _set_password(user, new_password)
    end_all_sessions(user)
    audit.record(
        "user.change_password",
        user,
        _("%(name)s a changé son mot de passe", name=user.full_name),
        actor=user,
    )


# --- one-time links --------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _ttl(purpose: TokenPurpose) -> timedelta:
    config = current_app.config
    if purpose is TokenPurpose.INVITATION:
        return timedelta(hours=int(config["INVITATION_TTL_HOURS"]))
    return timedelta(minutes=int(config["PASSWORD_RESET_TTL_MINUTES"]))


def _revoke_tokens(user: User, purpose: TokenPurpose | None = None) -> None:
    """Delete the unused links of `user` (of one purpose, or all)."""
    query = sa.delete(OneTimeToken).where(
        OneTimeToken.user_id == user.id, OneTimeToken.used_at.is_(None)
    )
    if purpose is not None:
        query = query.where(OneTimeToken.purpose == purpose)
    db.session.execute(query.execution_options(synchronize_session=False))


def issue_token(user: User, purpose: TokenPurpose) -> tuple[str, OneTimeToken]:
    """Make a new link for `user`, replacing their unused ones of the same purpose.

    Only the SHA-256 of the random token is stored; the token itself goes in the e-mail.
    """
    if user.id is None:
        db.session.flush()
    _revoke_tokens(user, purpose)
    raw = secrets.token_urlsafe(32)
    token = OneTimeToken(
        user=user,
        purpose=purpose,
        token_hash=_digest(raw),
        expires_at=utcnow() + _ttl(purpose),
    )
    db.session.add(token)
    return raw, token


def find_token(raw: str, purpose: TokenPurpose) -> OneTimeToken:
    """The usable link `raw` is for; raises TokenInvalid if unknown, used or expired."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise TokenInvalid
    token = db.session.scalar(
        sa.select(OneTimeToken).where(
            OneTimeToken.token_hash == _digest(raw), OneTimeToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise TokenInvalid
    return token


def _use(token: OneTimeToken) -> None:
    """Mark `token` used, unless another request did it first (then TokenInvalid)."""
    now = utcnow()
    result = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(OneTimeToken)
            .where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise TokenInvalid
    token.used_at = now


def accept_invitation(raw: str, password: str) -> User:
    """Set the invited person's password and activate their account."""
    token = find_token(raw, TokenPurpose.INVITATION)
    user = token.user
    _set_password(user, password)
    _use(token)
    user.active = True
    audit.record(
        "user.accept_invitation",
        user,
        _("%(name)s a accepté son invitation", name=user.full_name),
        actor=user,
    )
    return user


def _reset_policy(limit_setting: str) -> counters.Policy:
    return counters.Policy(
        limit=int(current_app.config[limit_setting]),
        delay=_minutes("PASSWORD_RESET_DELAY_MINUTES"),
        max_delay=timedelta(hours=24),
        forget_after=timedelta(hours=24),
    )


def request_password_reset(email: str, client: str | None) -> Job | None:
    """Count the request and queue the reset mail, whether or not an account has `email`.

    The request does the same work either way (two counters and one queued job), so its
    duration does not tell which addresses have an account; the job looks the account up and
    mails the link. Raises Throttled when this client asked too often; an address asked too
    often is silently left alone (None), so the answer stays the same.
    """
    email = normalise_email(email)
    by_client = counters.hit(
        counters.key("reset-client", client), _reset_policy("PASSWORD_RESET_PER_CLIENT")
    )
    if not by_client.allowed:
        raise Throttled([by_client])
    by_address = counters.hit(
        counters.key("reset-address", email), _reset_policy("PASSWORD_RESET_PER_ADDRESS")
    )
    if not by_address.allowed:
        return None
    return enqueue(RESET_MAIL_JOB, {"email": email})


def password_reset_mail(email: str) -> EmailMessage | None:
    """Issue a reset link for the active account of `email`: its mail, or None if none."""
    user = user_by_email(email)
    if user is None or not user.active:
        return None
    raw, token = issue_token(user, TokenPurpose.PASSWORD_RESET)
    audit.record(
        "user.request_password_reset",
        user,
        _("Demande de réinitialisation du mot de passe de %(name)s", name=user.full_name),
    )
    return mail.password_reset(user, raw, token.expires_at)


def reset_password(raw: str, password: str) -> User:
    """Set a new password through a reset link; ends every session of the person."""
    token = find_token(raw, TokenPurpose.PASSWORD_RESET)
    user = token.user
    if not user.active:
        raise TokenInvalid
    _use(token)
    _set_password(user, password)
    end_all_sessions(user)
    audit.record(
        "user.reset_password",
        user,
        _("%(name)s a réinitialisé son mot de passe", name=user.full_name),
        actor=user,
    )
    return user


def pending_invitations(users: sa.Select[Any]) -> set[int]:
    """Ids of the accounts among `users` (a query) with an invitation link still usable."""
    ids = users.with_only_columns(User.id).scalar_subquery()
    return set(
        db.session.scalars(
            sa.select(OneTimeToken.user_id).where(
                OneTimeToken.user_id.in_(ids),
                OneTimeToken.purpose == TokenPurpose.INVITATION,
                OneTimeToken.used_at.is_(None),
                OneTimeToken.expires_at > utcnow(),
            )
        )
    )


# --- administration --------------------------------------------------------------------------


def _check_new_account(email: str, full_name: str, roles: Iterable[Role]) -> None:
    problem = email_problem(email) or name_problem(full_name)
    if problem:
        raise AccountError(problem)
    if not list(roles):
        raise AccountError(_("Choisissez au moins un rôle."))
    if user_by_email(email) is not None:
        raise AccountError(_("Un compte existe déjà avec cette adresse e-mail."))


def _new_user(
    email: str, full_name: str, roles: Iterable[Role], organisations: Iterable[Organisation]
) -> User:
    return User(
        email=email,
        full_name=full_name.strip(),
        role_rows=[UserRole(role=role) for role in sorted(set(roles), key=lambda r: r.value)],
        organisations=list(organisations),
    )


def invite(
    actor: User,
    *,
    email: str,
    full_name: str,
    roles: Iterable[Role],
    organisations: Iterable[Organisation],
) -> EmailMessage:
    """Create an inactive account and return the invitation mail to send after commit."""
    email, roles, organisations = normalise_email(email), list(roles), list(organisations)
    _check_new_account(email, full_name, roles)
    user = _new_user(email, full_name, roles, organisations)
    user.active = False  # until the person sets a password through the link
    db.session.add(user)
    raw, token = issue_token(user, TokenPurpose.INVITATION)
    audit.record(
        "user.invite",
        user,
        _("Invitation de %(name)s (%(email)s)", name=user.full_name, email=email),
        roles=[r.value for r in roles],
        organisations=[o.name for o in organisations],
    )
    return mail.invitation(user, raw, token.expires_at, inviter=actor)


def disable(actor: User, user: User) -> None:
    """Disable `user`: every session ends and their unused links stop working."""
    if user.id == actor.id:
        raise AccountError(_("Vous ne pouvez pas désactiver votre propre compte."))
    user.active = False
    end_all_sessions(user)
    _revoke_tokens(user)
    audit.record("user.disable", user, _("Compte de %(name)s désactivé", name=user.full_name))


def enable(actor: User, user: User) -> EmailMessage | None:
    """Re-enable `user`; one who never set a password gets a new invitation instead (returned)."""
    if user.password_hash is None:
        raw, token = issue_token(user, TokenPurpose.INVITATION)
        audit.record(
            "user.reinvite", user, _("Nouvelle invitation de %(name)s", name=user.full_name)
        )
        return mail.invitation(user, raw, token.expires_at, inviter=actor)
    if not user.active:
        user.active = True
        audit.record("user.enable", user, _("Compte de %(name)s réactivé", name=user.full_name))
    return None


def create_user(
    *,
    email: str,
    full_name: str,
    roles: Iterable[Role],
    password: str,
    organisation_names: Iterable[str] = (),
) -> User:
    """Create an active account with a password (command line)."""
    email, roles = normalise_email(email), list(roles)
    _check_new_account(email, full_name, roles)
    organisations = []
    for name in organisation_names:
        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
        if organisation is None:
            raise AccountError(_("Organisation inconnue : %(name)s", name=name))
        organisations.append(organisation)
    user = _new_user(email, full_name, roles, organisations)
    _set_password(user, password)
    db.session.add(user)
    audit.record(
        "user.create",
        user,
        _("Compte de %(name)s (%(email)s) créé", name=user.full_name, email=email),
        roles=[r.value for r in roles],
        organisations=[o.name for o in organisations],
    )
    return user

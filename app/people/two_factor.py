"""Two-factor authentication: a TOTP code (RFC 6238, any authenticator app) or a single-use
recovery code, asked at login after the password.

The secret is set up from the person's account page (or at login when their role requires it)
and enabled only once they type a code it produces. Each code serves once: the last 30-second
step used is kept. Recovery codes are random (80 bits), shown once, stored as SHA-256.
Turning it off needs the password. Every change is audited; nothing here commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, cast

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.db import db, utcnow
from app.people import audit, passwords
from app.people.models import RecoveryCode, Role, User

RECOVERY_CODES = 10
# Crockford's base32 without I, L, O, U: nothing to confuse when read from paper.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_GROUPS, _GROUP_LENGTH = 4, 4  # 16 characters: 80 bits
MAX_CODE_LENGTH = 40


class WrongPassword(Exception):
    """The password given to confirm a change is not the account's."""


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def is_required(user: User) -> bool:
    """Coordinators and jury members must use it where TWO_FACTOR_REQUIRED is on."""
    return bool(current_app.config["TWO_FACTOR_REQUIRED"]) and user.has_role(
        Role.COORDINATOR, Role.JURY
    )


# --- setting up ------------------------------------------------------------------------------


def pending_secret(user: User) -> str:
    """The secret being set up for `user`, made on first use and kept until confirmed."""
    if is_enabled(user):
        raise ValueError("two-factor authentication is already on")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    issuer = str(current_app.config["TWO_FACTOR_ISSUER"])
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> Markup:
    """The QR code of `uri` as an inline SVG element (paths only; segno escapes the title)."""
    title = _("Code QR à scanner avec votre application d'authentification")
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title=title, svgclass="qr-code"
    )
    return Markup(svg)  # noqa: S704  (generated markup: no text of ours but the escaped title)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm(user: User, code: str) -> list[str]:
    """Enable two-factor authentication if `code` matches the pending secret.

    Returns the new recovery codes (to show once); raises ValueError for a wrong code.
    """
    if is_enabled(user) or not user.totp_secret:
        raise ValueError("nothing to confirm")
    step = _matching_step(user.totp_secret, code, after=None)
    if step is None:
        raise ValueError("wrong code")
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record(
        "user.two_factor_enable",
        user,
        _("%(name)s a activé la double authentification", name=user.full_name),
        actor=user,
    )
    return codes


def disable(user: User, password: str) -> None:
    """Turn two-factor authentication off, on the account's password."""
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        "user.two_factor_disable",
        user,
        _("%(name)s a désactivé la double authentification", name=user.full_name),
        actor=user,
    )


def regenerate_codes(user: User, password: str) -> list[str]:
    """Replace every recovery code of `user`, on the account's password."""
    if not is_enabled(user):
        raise ValueError("two-factor authentication is off")
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword
    codes = _new_recovery_codes(user)
    audit.record(
        "user.two_factor_recovery_codes",
        user,
        _("%(name)s a remplacé ses codes de secours", name=user.full_name),
        actor=user,
    )
    return codes


def codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


# --- at login --------------------------------------------------------------------------------


def check(user: User, code: str) -> bool:
    """Whether `code` (from the app, or a recovery code) proves the second factor; uses it."""
    if not is_enabled(user) or not user.totp_secret:
        return False
    compact = _compact(code)
    if compact.isdigit() and len(compact) == 6:
        step = _matching_step(user.totp_secret, compact, after=user.totp_last_step)
        return step is not None and _use_step(user, step)
    if len(compact) == _CODE_GROUPS * _GROUP_LENGTH:
        return _use_recovery_code(user, compact)
    return False


def _compact(code: str) -> str:
    return "".join(c for c in code[:MAX_CODE_LENGTH].upper() if c.isalnum())


def _matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The 30-second step whose code is `code` (now, or one step either side), if unused."""
    code = _compact(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(user: User, step: int) -> bool:
    """Record `step` as used, unless a concurrent login used it (or a later one) first."""
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if cast(Any, result).rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _digest(compact: str) -> str:
    return hashlib.sha256(compact.encode("ascii")).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        compact = "".join(secrets.choice(_ALPHABET) for _i in range(_CODE_GROUPS * _GROUP_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(compact)))
        codes.append(
            "-".join(compact[i : i + _GROUP_LENGTH] for i in range(0, len(compact), _GROUP_LENGTH))
        )
    return codes


def _use_recovery_code(user: User, compact: str) -> bool:
    # Crockford's reading: O is 0, I and L are 1.
    compact = compact.replace("O", "0").replace("I", "1").replace("L", "1")
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(compact),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast(Any, result).rowcount != 1:
        return False
    audit.record(
        "user.two_factor_recovery_code_used",
        user,
        _("%(name)s s'est connecté·e avec un code de secours", name=user.full_name),
        actor=user,
        codes_left=codes_left(user),
    )
    return True

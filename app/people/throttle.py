"""Failed-login throttling, kept in the database so that every worker shares it.

Each attempt is counted under two keys: the e-mail address typed (whether or not an account has
it, so the answer tells nothing) and the client address. After LOGIN_THROTTLE_FAILURES failures
(LOGIN_THROTTLE_ADDRESS_FAILURES for an address) within LOGIN_THROTTLE_WINDOW_MINUTES, the key
is locked for LOGIN_THROTTLE_LOCK_MINUTES; attempts made while it is locked are refused
without checking the password and do not extend the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.db import db, utcnow
from app.people.models import LoginThrottle


@dataclass(frozen=True)
class Key:
    name: str
    limit: int


class Throttled(Exception):
    """Too many failed logins: retry after `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until

    @property
    def retry_after(self) -> timedelta:
        return max(self.until - utcnow(), timedelta(0))


def email_key(email: str) -> Key:
    return Key(f"email:{email}", int(current_app.config["LOGIN_THROTTLE_FAILURES"]))


def address_key(address: str | None) -> Key:
    return Key(
        f"ip:{address or 'inconnue'}", int(current_app.config["LOGIN_THROTTLE_ADDRESS_FAILURES"])
    )


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(current_app.config[name]))


def check(keys: list[Key]) -> None:
    """Raise Throttled if one of `keys` is locked now."""
    now = utcnow()
    until = db.session.scalar(
        sa.select(sa.func.max(LoginThrottle.locked_until)).where(
            LoginThrottle.key.in_([k.name for k in keys]),
            LoginThrottle.locked_until > now,
        )
    )
    if until is not None:
        raise Throttled(until)


def _row(key: str) -> LoginThrottle:
    """The row of `key`, locked for this transaction, created if missing."""
    row = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = LoginThrottle(key=key, failures=0, first_failure_at=utcnow())
            db.session.add(row)
    except IntegrityError:  # another worker created it first
        row = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def record_failure(keys: list[Key]) -> None:
    """Count a failed login under each key, locking the keys that reach their limit."""
    now = utcnow()
    window = _minutes("LOGIN_THROTTLE_WINDOW_MINUTES")
    lock = _minutes("LOGIN_THROTTLE_LOCK_MINUTES")
    for key in keys:
        row = _row(key.name)
        lock_over = row.locked_until is not None and row.locked_until <= now
        if row.failures == 0 or lock_over or row.first_failure_at <= now - window:
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= key.limit:
            row.locked_until = now + lock


def reset(key: Key) -> None:
    """Forget the failures of `key` (after a successful login)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key.name))

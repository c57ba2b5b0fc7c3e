"""Sessions: loading the logged-in user, and ending every session of a person at once."""

from __future__ import annotations

from app.db import db
from app.people.models import User


def load_user(user_id: str) -> User | None:
    """Return the user of a session id "ID:VERSION", or None once that session was ended."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie of `user`, including copies made before."""
    user.session_version += 1

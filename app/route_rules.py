"""How each view declares who may open it: `public`, `public_frameworks`, `authenticated` or
`roles` (the route × role test fails on a view wrapped by none), and who is signed in. Which
objects a signed-in person then reaches is decided in app/access.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app
from flask_login import current_user

from app.people.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])

RULE_ATTRIBUTE = "access_rule"


def current_person() -> User:
    """The signed-in user, as the `User` row (not flask-login's proxy)."""
    return cast(User, current_user._get_current_object())


def _mark(view: Callable[..., Any], rule: str) -> None:
    setattr(view, RULE_ATTRIBUTE, rule)


def public(view: F) -> F:
    """Anyone, logged in or not."""
    _mark(view, "public")
    return view


def public_frameworks(view: F) -> F:
    """Anyone when PUBLIC_FRAMEWORKS is on; otherwise any logged-in person."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config["PUBLIC_FRAMEWORKS"] and not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    _mark(wrapped, "public_frameworks")
    return wrapped  # type: ignore[return-value]


def authenticated(view: F) -> F:
    """Any logged-in person."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    _mark(wrapped, "authenticated")
    return wrapped  # type: ignore[return-value]


def roles(*allowed: Role) -> Callable[[F], F]:
    """Logged-in people holding one of `allowed`; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        _mark(wrapped, "roles:" + ",".join(sorted(r.value for r in allowed)))
        return wrapped  # type: ignore[return-value]

    return decorator

"""Who may see what: every route declares its rule here, and object checks live here too.

Each view is wrapped by exactly one of `public`, `authenticated` or `roles`; the route × role
test walks the URL map and fails on a view that has none. Object-level checks (`cohort_query`,
`can_view_learner`, …) are the only way routes reach cohorts and learners.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, current_app
from flask_login import current_user

from app.cohorts.models import Cohort, Enrolment, cohort_trainers
from app.people.models import Role, User, memberships

F = TypeVar("F", bound=Callable[..., Any])

RULE_ATTRIBUTE = "access_rule"


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


# --- objects ---------------------------------------------------------------------------------


def cohort_query(user: User) -> sa.Select[Any]:
    """Cohorts `user` may see: coordinators those of their organisations, trainers their own,
    learners those they are enrolled in."""
    conditions = []
    if user.has_role(Role.COORDINATOR):
        conditions.append(
            Cohort.organisation_id.in_(
                sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
            )
        )
    if user.has_role(Role.TRAINER):
        conditions.append(
            Cohort.id.in_(
                sa.select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == user.id)
            )
        )
    if user.has_role(Role.LEARNER):
        conditions.append(
            Cohort.id.in_(sa.select(Enrolment.cohort_id).where(Enrolment.learner_id == user.id))
        )
    if not conditions:
        return sa.select(Cohort).where(sa.false())
    return sa.select(Cohort).where(sa.or_(*conditions))


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """Coordinators of the cohort's organisation may change it."""
    return user.has_role(Role.COORDINATOR) and any(
        org.id == cohort.organisation_id for org in user.organisations
    )


def can_view_learner(user: User, learner_id: int) -> bool:
    """A learner sees themself; trainers their cohorts' learners; coordinators their orgs'."""
    from app.db import db

    if user.id == learner_id:
        return True
    if not user.has_role(Role.COORDINATOR, Role.TRAINER):
        return False
    visible = cohort_query(user).with_only_columns(Cohort.id).scalar_subquery()
    query = sa.select(Enrolment.id).where(
        Enrolment.learner_id == learner_id, Enrolment.cohort_id.in_(visible)
    )
    if not user.has_role(Role.COORDINATOR):
        # A trainer who is also enrolled somewhere must not see fellow learners through that.
        query = query.where(
            Enrolment.cohort_id.in_(
                sa.select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == user.id)
            )
        )
    return db.session.scalar(query.limit(1)) is not None


def can_view_identity(user: User) -> bool:
    """Civil identity (birth data) is for coordinators only."""
    return user.has_role(Role.COORDINATOR)

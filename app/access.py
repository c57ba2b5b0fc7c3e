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
from app.jury.models import JuryPresentation, JurySession, jury_members
from app.people.models import Organisation, OrganisationKind, Role, User, memberships

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


def managed_users_query(user: User) -> sa.Select[Any]:
    """Accounts a coordinator may manage: those sharing one of their organisations, learners
    enrolled in a cohort of one of them, and accounts attached to nothing yet."""
    if not user.has_role(Role.COORDINATOR):
        return sa.select(User).where(sa.false())
    mine = sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
    theirs = memberships.c.user_id == User.id
    enrolled = Enrolment.learner_id == User.id
    return sa.select(User).where(
        sa.or_(
            sa.exists().where(theirs, memberships.c.organisation_id.in_(mine)),
            sa.exists().where(
                enrolled,
                Enrolment.cohort_id == Cohort.id,
                Cohort.organisation_id.in_(mine),
            ),
            sa.and_(~sa.exists().where(theirs), ~sa.exists().where(enrolled)),
        )
    )


def can_manage_user(user: User, target: User) -> bool:
    """Whether `user` may disable, re-enable or re-invite `target` (see managed_users_query)."""
    from app.db import db

    query = managed_users_query(user).where(User.id == target.id).with_only_columns(User.id)
    return db.session.scalar(query) is not None


def staff_cohort_query(user: User) -> sa.Select[Any]:
    """Cohorts `user` works on: as coordinator of its organisation or as its trainer.

    Unlike `cohort_query`, being enrolled in a cohort does not count: its page lists the
    other learners, which a learner must not see.
    """
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
    if not conditions:
        return sa.select(Cohort).where(sa.false())
    return sa.select(Cohort).where(sa.or_(*conditions))


def can_manage_identity(user: User, learner_id: int) -> bool:
    """Coordinators see and change the identity of learners enrolled in their organisations."""
    from app.db import db

    if not can_view_identity(user):
        return False
    query = (
        sa.select(Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            Enrolment.learner_id == learner_id,
            Cohort.organisation_id.in_(
                sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
            ),
        )
    )
    return db.session.scalar(query.limit(1)) is not None


# --- evidence and jury sessions (app/assessment/evidence.py, app/jury) ---------------------------


def _is_cohort_trainer(user: User, cohort_id: int) -> bool:
    from app.db import db

    return user.has_role(Role.TRAINER) and (
        db.session.scalar(
            sa.select(cohort_trainers.c.user_id).where(
                cohort_trainers.c.cohort_id == cohort_id, cohort_trainers.c.user_id == user.id
            )
        )
        is not None
    )


def can_view_enrolment(user: User, enrolment: Enrolment) -> bool:
    """Who sees one learner's record in one cohort (results, evidence): the learner, the
    cohort's trainers, the coordinators of its organisation (as `can_view_learner`, but for
    that cohort only), and the jury members of a session the enrolment is presented to."""
    from app.db import db

    if user.id == enrolment.learner_id:
        return True
    if can_manage_cohort(user, enrolment.cohort) or _is_cohort_trainer(user, enrolment.cohort_id):
        return True
    if not user.has_role(Role.JURY):
        return False
    seat = (
        sa.select(JuryPresentation.id)
        .join(jury_members, jury_members.c.jury_session_id == JuryPresentation.jury_session_id)
        .where(JuryPresentation.enrolment_id == enrolment.id, jury_members.c.user_id == user.id)
        .limit(1)
    )
    return db.session.scalar(seat) is not None


def can_attach_evidence(user: User, enrolment: Enrolment) -> bool:
    """The learner themself and the trainers of their cohort attach evidence."""
    return user.id == enrolment.learner_id or _is_cohort_trainer(user, enrolment.cohort_id)


def _coordinated_versions(user: User) -> sa.Select[Any]:
    """Framework versions followed by a cohort of one of `user`'s organisations."""
    return sa.select(Cohort.version_id).where(
        Cohort.organisation_id.in_(
            sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
        )
    )


def jury_session_query(user: User) -> sa.Select[Any]:
    """Jury sessions `user` may see. Jury members see the sessions they sit on. Coordinators see
    the sessions on a framework version that a cohort of one of their organisations follows:
    a jury is the certifier's, shared by every organisation running that version."""
    conditions = []
    if user.has_role(Role.COORDINATOR):
        conditions.append(JurySession.version_id.in_(_coordinated_versions(user)))
    if user.has_role(Role.JURY):
        conditions.append(
            JurySession.id.in_(
                sa.select(jury_members.c.jury_session_id).where(jury_members.c.user_id == user.id)
            )
        )
    if not conditions:
        return sa.select(JurySession).where(sa.false())
    return sa.select(JurySession).where(sa.or_(*conditions))


def can_run_jury_session(user: User, jury_session: JurySession) -> bool:
    """Coordinators who see a session create it, present learners and close it."""
    from app.db import db

    if not user.has_role(Role.COORDINATOR):
        return False
    query = _coordinated_versions(user).where(Cohort.version_id == jury_session.version_id)
    return db.session.scalar(query.limit(1)) is not None


def can_decide(user: User, jury_session: JurySession) -> bool:
    """The session's jury members, and the coordinators running it, record its decisions."""
    if user.has_role(Role.JURY) and any(m.id == user.id for m in jury_session.members):
        return True
    return can_run_jury_session(user, jury_session)


# --- exports history (app/exports_history) ---------------------------------------------------


def export_query(user: User) -> sa.Select[Any]:
    """Exports a coordinator sees: their own, and those holding no data of an organisation
    they are not a member of (an export of framework data only holds none)."""
    from app.exports_history.models import ExportRecord, export_record_organisations

    if not user.has_role(Role.COORDINATOR):
        return sa.select(ExportRecord).where(sa.false())
    mine = sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
    foreign_data = sa.exists().where(
        export_record_organisations.c.export_id == ExportRecord.id,
        export_record_organisations.c.organisation_id.not_in(mine),
    )
    return sa.select(ExportRecord).where(
        sa.or_(ExportRecord.created_by_id == user.id, ~foreign_data)
    )


def can_view_export(user: User, export_id: int) -> bool:
    from app.db import db
    from app.exports_history.models import ExportRecord

    query = export_query(user).with_only_columns(ExportRecord.id)
    return db.session.scalar(query.where(ExportRecord.id == export_id).limit(1)) is not None


def managed_cohort_query(user: User) -> sa.Select[Any]:
    """Cohorts `user` may run (as `can_manage_cohort`): coordinators' organisations' cohorts."""
    if not user.has_role(Role.COORDINATOR):
        return sa.select(Cohort).where(sa.false())
    return sa.select(Cohort).where(
        Cohort.organisation_id.in_(
            sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
        )
    )


def can_erase_person(user: User, person: User) -> bool:
    """A coordinator erases a learner (app/privacy) whose every enrolment is in one of their
    organisations' cohorts; staff accounts and people shared with another organisation are
    erased from the command line."""
    from app.db import db

    if not user.has_role(Role.COORDINATOR) or person.id == user.id:
        return False
    if person.has_role(Role.COORDINATOR, Role.TRAINER, Role.JURY):
        return False
    mine = sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)
    counts = db.session.execute(
        sa.select(
            sa.func.count(Enrolment.id),
            sa.func.count(Enrolment.id).filter(Cohort.organisation_id.in_(mine)),
        )
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.learner_id == person.id)
    ).one()
    return counts[0] > 0 and counts[0] == counts[1]


# --- the certifier's settings (app/settings) -------------------------------------------------


def certifier_organisations(user: User) -> list[Organisation]:
    """The certifier organisations whose settings `user` edits: those they coordinate."""
    if not user.has_role(Role.COORDINATOR):
        return []
    return [org for org in user.organisations if org.kind is OrganisationKind.CERTIFIER]

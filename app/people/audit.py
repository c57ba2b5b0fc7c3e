"""The audit log: every service that writes calls `record()` in the same transaction.

Each event belongs to one organisation (`AuditEvent.organisation_id`), whose coordinators read
it in /journal: the organisation of the object written (a cohort's, an enrolment's cohort's, a
jury session's owner, a certification's owner), else the actor's organisation that the object
shares, else the actor's first organisation. The command line's events without an object
organisation belong to none.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from app.db import db
from app.people.models import AuditEvent, Organisation, User

_UNSET: Any = object()


def _organisation_of(obj: Any) -> int | None:
    """The organisation owning `obj`, when its kind has one."""
    from app.cohorts.models import Cohort, Enrolment, EnrolmentInvitation, LearnerIdentity
    from app.frameworks.models import Certification, FrameworkVersion
    from app.jury.models import JuryPresentation, JurySession

    if isinstance(obj, Organisation):
        return obj.id
    if isinstance(obj, Cohort):
        return obj.organisation_id
    if isinstance(obj, Enrolment | EnrolmentInvitation):
        return _organisation_of(obj.cohort)
    if isinstance(obj, JurySession):
        return obj.organisation_id
    if isinstance(obj, JuryPresentation):
        return obj.jury_session.organisation_id
    if isinstance(obj, Certification):
        return obj.organisation_id
    if isinstance(obj, FrameworkVersion):
        return obj.certification.organisation_id
    if isinstance(obj, LearnerIdentity):
        return None  # the person's: falls back to the actor's organisation
    certification = getattr(obj, "certification", None)
    if isinstance(certification, Certification):
        return certification.organisation_id
    return None


def _fallback(actor: User | None, obj: Any) -> int | None:
    if actor is None:
        return None
    mine = [o.id for o in actor.organisations]
    if isinstance(obj, User):
        shared = [o.id for o in obj.organisations if o.id in mine]
        if shared:
            return shared[0]
        if actor.id == obj.id or not mine:
            return obj.organisations[0].id if obj.organisations else None
    return mine[0] if mine else None


def record(
    action: str,
    obj: Any,
    summary: str,
    *,
    actor: User | None = None,
    owner_id: Any = _UNSET,
    **details: Any,
) -> AuditEvent:
    """Add an audit event for `obj` (a model instance); flushes to know its id.

    `owner_id` names the organisation the event belongs to when the object does not say it.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if getattr(obj, "id", None) is None:
        db.session.flush()
    if owner_id is _UNSET:
        owner_id = _organisation_of(obj)
        if owner_id is None:
            owner_id = _fallback(actor, obj)
    event = AuditEvent(
        actor=actor,
        organisation_id=owner_id,
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        summary=summary,
        details=details,
    )
    db.session.add(event)
    return event

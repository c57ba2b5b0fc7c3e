"""The audit log: every service that writes calls `record()` in the same transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from app.db import db
from app.people.models import AuditEvent, User


def record(
    action: str,
    obj: Any,
    summary: str,
    *,
    actor: User | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event for `obj` (a model instance); flushes to know its id."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if getattr(obj, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        actor=actor,
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        summary=summary,
        details=details,
    )
    db.session.add(event)
    return event

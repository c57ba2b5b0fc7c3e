"""Fixtures of the framework editor tests: a logged-in coordinator and form helpers."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.db import db
from app.frameworks import services
from app.frameworks.models import FrameworkVersion
from app.people.models import AuditEvent


@pytest.fixture
def coordinator(create_user: Any, login: Any, db_session: Any) -> Any:
    """A coordinator of the certifier: only the certifier writes référentiels (issue #11)."""
    from app.people.models import Organisation, OrganisationKind

    certifier = Organisation(name="Le Labo", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    user = create_user("coordinator", organisations=[certifier])
    login(user)
    return user


@pytest.fixture
def draft(create_version: Any, coordinator: Any) -> FrameworkVersion:
    """The small référentiel as a draft, with a coordinator logged in."""
    return create_version()


def reload(version_id: int) -> FrameworkVersion:
    """The version as stored now, content and all."""
    db.session.expire_all()
    version = db.session.scalar(services.version_query().where(FrameworkVersion.id == version_id))
    assert version is not None
    return version


def document(version_id: int) -> dict[str, Any]:
    return services.export_document(reload(version_id))


def item(version: FrameworkVersion, kind: str, code: str) -> Any:
    """An item of a loaded version by kind slug and code."""
    from app.frameworks.editing_services import KINDS, code_owner

    found = code_owner(version, KINDS[kind].model, code)
    assert found is not None, code
    return found


def audit_actions(version_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(
                AuditEvent.object_type == "framework_versions", AuditEvent.object_id == version_id
            )
            .order_by(AuditEvent.id)
        )
    )

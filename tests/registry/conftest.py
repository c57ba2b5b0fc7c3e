"""Small registers written by hand, and a way to import one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.registry.importer import ImportReport, import_register

RNCP = Path(__file__).resolve().parents[1] / "data" / "rncp"


@pytest.fixture
def register_a() -> Path:
    return RNCP / "register-a.xml"


@pytest.fixture
def register_b() -> Path:
    return RNCP / "register-b.xml"


@pytest.fixture
def load_register(db_session: Any):  # type: ignore[no-untyped-def]
    def load(path: Path) -> ImportReport:
        report = import_register(db_session, path)
        db_session.commit()
        return report

    return load


@pytest.fixture
def certifier_coordinator(db_session: Any, create_user: Any) -> Any:
    """A coordinator of the certifier's organisation, which owns référentiels and filing."""
    from app.people.models import Organisation, OrganisationKind

    certifier = Organisation(name="Le Labo de l'ESS", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    db_session.commit()
    return create_user("coordinator", organisations=[certifier])

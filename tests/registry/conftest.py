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

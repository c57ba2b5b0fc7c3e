"""Invariants live beside their models: importing the models alone, with no service, guards
every session."""

from __future__ import annotations

import subprocess
import sys


def test_models_alone_register_the_guards() -> None:
    code = (
        "import sys\n"
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import Session\n"
        "import app.models\n"
        "from app.assessment.models import _refuse_result_changes\n"
        "from app.frameworks.models import _refuse_changes_to_published\n"
        "from app.jury.models import _refuse_changes_to_closed_sessions\n"
        "for guard in (_refuse_result_changes, _refuse_changes_to_published,\n"
        "              _refuse_changes_to_closed_sessions):\n"
        "    assert sa.event.contains(Session, 'before_flush', guard), guard\n"
        "services = [m for m in sys.modules if m.endswith('.services')]\n"
        "assert services == [], services\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

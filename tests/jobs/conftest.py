"""Job handlers for the queue's tests, registered on the test application for one test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from app.jobs.queue import Handler, Progress, register_handler


@dataclass
class Calls:
    """What the test handlers saw."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[dict[str, Any], Exception]] = field(default_factory=list)


@pytest.fixture
def handlers(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    calls = Calls()

    def ok(payload: dict[str, Any], progress: Progress) -> None:
        calls.runs.append(payload)
        for percent in payload.get("steps", []):
            progress(percent)

    def boom(payload: dict[str, Any], progress: Progress) -> None:
        from app.db import db
        from app.people.models import AuditEvent

        calls.runs.append(payload)
        progress(40)
        db.session.add(AuditEvent(action="test.half", object_type="jobs", summary="à moitié"))
        raise ValueError("le calcul a échoué")

    def failed(payload: dict[str, Any], error: Exception) -> None:
        calls.failures.append((payload, error))

    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    saved = dict(app.extensions.get("job_handlers", {}))
    register_handler(app, "test.ok", Handler(run=ok, on_failure=failed))
    register_handler(app, "test.boom", Handler(run=boom, on_failure=failed))
    yield calls
    app.extensions["job_handlers"] = saved

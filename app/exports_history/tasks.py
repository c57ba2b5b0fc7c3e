"""The exports as background jobs (kinds "export.fiche", "export.accrochage")."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.exports_history import services
from app.exports_history.services import KINDS_WITH_JOBS
from app.jobs.queue import Handler, Progress, register_handler


def _run(payload: dict[str, Any], progress: Progress) -> None:
    record_id = int(payload["export_id"])

    def step(percent: int) -> None:
        services.set_progress(record_id, percent)
        progress(percent)

    services.perform_export(record_id, step)


def _failed(payload: dict[str, Any], error: Exception) -> None:
    services.fail_export(int(payload["export_id"]), error)


def register_jobs(app: Flask) -> None:
    for kind in KINDS_WITH_JOBS:
        register_handler(app, f"export.{kind.value}", Handler(run=_run, on_failure=_failed))

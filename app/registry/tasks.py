"""The register's import as a background job, started from the browser (kind "registry.import").

The import runs in the job's transaction, all or nothing. Its progress cannot go through the
database while that transaction is open (SQLite has one writer), so it goes to a small JSON
file beside the uploaded export, which the status page reads; the file keeps the report once
the import is over.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from app.db import db
from app.jobs.models import Job
from app.jobs.queue import Handler, Progress, register_handler
from app.people import audit
from app.people.models import User
from app.registry.importer import import_register

JOB_KIND = "registry.import"


def registry_dir() -> Path:
    configured = current_app.config.get("REGISTRY_DIR")
    path = Path(configured) if configured else Path(current_app.config["INSTANCE_DIR"]) / "registry"
    path.mkdir(parents=True, exist_ok=True)
    return path


def status_path(token: str) -> Path:
    return registry_dir() / f"{token}.json"


def write_status(token: str, **status: Any) -> None:
    """Replace the import's status file at once (readers never see half a file)."""
    path = status_path(token)
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def read_status(token: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(status_path(token).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data


def _run(payload: dict[str, Any], progress: Progress) -> None:
    token = payload["token"]
    export = registry_dir() / payload["stored"]

    def step(read: int, total: int) -> None:
        write_status(token, percent=min(99, read * 100 // max(total, 1)))

    try:
        report = import_register(db.session(), export, progress=step)
        job = db.session.scalar(
            sa.select(Job).where(Job.kind == JOB_KIND, Job.payload["token"].as_string() == token)
        )
        audit.record(
            "registry.import",
            job,
            f"Registre national importé depuis {payload['filename']}",
            actor=db.session.get(User, payload["user_id"]),
            **report.as_dict(),
        )
        write_status(token, percent=100, report=report.as_dict())
    finally:
        export.unlink(missing_ok=True)


def _failed(payload: dict[str, Any], error: Exception) -> None:
    write_status(payload["token"], percent=0, error=str(error))


def register_jobs(app: Flask) -> None:
    register_handler(app, JOB_KIND, Handler(run=_run, on_failure=_failed))

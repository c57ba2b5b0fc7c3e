"""Importing the register from the browser: a background job with progress and a report."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.jobs.queue import run_job
from app.people.models import AuditEvent
from app.registry.models import RegistryFiche


@pytest.fixture
def coordinator_client(  # type: ignore[no-untyped-def]
    app: Flask, client: Any, login: Any, certifier_coordinator: Any, tmp_path: Path
):
    app.config["REGISTRY_DIR"] = str(tmp_path / "registry")
    login(certifier_coordinator)
    yield client
    app.config["REGISTRY_DIR"] = None


def _upload(client: Any, content: bytes, name: str) -> Any:
    return client.post(
        "/registre/import",
        data={"export": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_a_coordinator_imports_an_export_and_reads_the_report(
    coordinator_client: Any, db_session: Any, register_a: Path, tmp_path: Path
) -> None:
    client = coordinator_client
    assert 'href="/registre/import"' in client.get("/registre/").get_data(as_text=True)
    response = _upload(client, register_a.read_bytes(), "export-fiches-rncp.xml")
    assert response.status_code == 302
    status_url = response.headers["Location"]
    waiting = client.get(status_url).get_data(as_text=True)
    assert "Import en cours : 0 % du fichier lu." in waiting

    job_id = int(status_url.rstrip("/").rsplit("/", 1)[1])
    run_job(job_id)
    done = client.get(status_url).get_data(as_text=True)
    assert "Import terminé : 3 fiches ajoutées, 0 modifiée" in done
    assert db_session.scalar(sa.select(sa.func.count(RegistryFiche.id))) == 3
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "registry.import"))
    assert event is not None and event.details["added"] == 3 and event.actor is not None
    # The uploaded file is gone once read; the report stays.
    assert [p.suffix for p in (tmp_path / "registry").iterdir()] == [".json"]


def test_a_hostile_export_fails_with_its_reason_and_saves_nothing(
    coordinator_client: Any, db_session: Any
) -> None:
    client = coordinator_client
    hostile = b'<?xml version="1.0"?><!DOCTYPE FICHES [<!ENTITY x "y">]><FICHES>&x;</FICHES>'
    status_url = _upload(client, hostile, "export.xml").headers["Location"]
    run_job(int(status_url.rsplit("/", 1)[1]))
    page = client.get(status_url).get_data(as_text=True)
    assert (
        "L&#39;import a échoué, rien n&#39;a été enregistré" in page or "L'import a échoué" in page
    )
    assert "DOCTYPE" in page
    assert db_session.scalar(sa.select(sa.func.count(RegistryFiche.id))) == 0


def test_only_zip_or_xml_files_are_taken(coordinator_client: Any) -> None:
    page = _upload(coordinator_client, b"hello", "notes.txt").get_data(as_text=True)
    assert "Un fichier .zip ou .xml est attendu." in page

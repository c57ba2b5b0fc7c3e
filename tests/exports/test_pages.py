"""The coordinator's export pages: start through the job queue, follow, download, verify; and
who may see what."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import db
from app.exports_history import services
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.jobs import queue
from app.jobs.models import Job, JobStatus
from app.people.models import Organisation, OrganisationKind, Role
from exports.accrochage import validation_errors
from tests.exports.conftest import Pilot


def only_record() -> ExportRecord:
    (record,) = db.session.scalars(sa.select(ExportRecord)).all()
    return record


def done_fiche(version: Any, actor: Any = None) -> ExportRecord:
    record = services.start_export(ExportKind.FICHE, cert_code="MINI", label="v1", actor=actor)
    db.session.flush()
    services.perform_export(record.id, lambda percent: None)
    db.session.commit()
    return record


@pytest.fixture
def logged_in(client: Any, login: Any, coordinator: Any) -> Any:
    login(coordinator)
    return coordinator


def test_fiche_from_the_web_is_queued_then_done(
    client: Any, logged_in: Any, export_settings: Path, version: Any
) -> None:
    page = client.get("/exports/fiche")
    assert page.status_code == 200
    assert "MINI — v1" in page.get_data(as_text=True)
    response = client.post("/exports/fiche", data={"version": version.id})
    assert response.status_code == 302
    record = only_record()
    assert response.headers["Location"].endswith(f"/exports/{record.id}")
    assert record.status is ExportStatus.PENDING and record.created_by_id == logged_in.id
    job = db.session.get(Job, record.job_id)
    assert job is not None and job.status is JobStatus.QUEUED

    html = client.get(f"/exports/{record.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "<noscript>" in html
    assert "/static/js/export-progress.js" in html
    assert "<script>" not in html  # CSP: no inline script
    assert f'data-export-status-url="/exports/{record.id}/statut"' in html
    status = client.get(f"/exports/{record.id}/statut").get_json()
    assert status == {"status": "pending", "label": "en attente", "progress": 0, "over": False}

    queue.run_job(job.id)
    status = client.get(f"/exports/{record.id}/statut").get_json()
    assert status == {"status": "done", "label": "terminé", "progress": 100, "over": True}
    html = client.get(f"/exports/{record.id}").get_data(as_text=True)
    assert "http-equiv" not in html and "export-progress.js" not in html
    assert f"/exports/{record.id}/telecharger" in html
    db.session.refresh(record)
    assert record.sha256 in html


def test_inline_mode_runs_the_job_in_the_request(
    app: Flask,
    client: Any,
    logged_in: Any,
    export_settings: Path,
    version: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    client.post("/exports/fiche", data={"version": version.id})
    record = only_record()
    assert record.status is ExportStatus.DONE
    assert services.verify(record).integrity is services.Integrity.CONFORMING


def test_accrochage_from_the_web(
    app: Flask,
    client: Any,
    logged_in: Any,
    export_settings: Path,
    version: Any,
    pilot: Pilot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = client.get("/exports/accrochage").get_data(as_text=True)
    for cohort in pilot.cohorts:
        assert f'value="{cohort.id}"' in form
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    response = client.post(
        "/exports/accrochage",
        data={"version": version.id, "cohorts": [c.id for c in pilot.cohorts]},
    )
    assert response.status_code == 302
    record = only_record()
    assert record.status is ExportStatus.DONE, record.error
    assert [o.name for o in record.organisations] == ["Savoir Devenir"]
    assert record.parameters["cohorts"] == [c.name for c in pilot.cohorts]
    html = client.get(f"/exports/{record.id}").get_data(as_text=True)
    assert "3 personnes certifiées déclarées" in html
    assert "Sans Naissance" in html and "date de naissance manquante" in html

    download = client.get(f"/exports/{record.id}/telecharger")
    assert download.status_code == 200
    assert download.mimetype == "application/xml"
    assert "attachment" in download.headers["Content-Disposition"]
    content = download.get_data()
    assert hashlib.sha256(content).hexdigest() == record.sha256
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert download.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert validation_errors(content) == []


def test_accrochage_form_errors(
    client: Any,
    logged_in: Any,
    export_settings: Path,
    version: Any,
    pilot: Pilot,
    make_cohort: Any,
    create_version: Any,
    mini_doc: Any,
) -> None:
    none = client.post("/exports/accrochage", data={"version": version.id})
    assert none.status_code == 200
    assert "Choisissez au moins une promotion." in none.get_data(as_text=True)
    mini_doc["version"]["label"] = "v2"
    other = create_version(mini_doc, publish=True)
    foreign = make_cohort("Sur la v2", on=other)
    mixed = client.post(
        "/exports/accrochage",
        data={"version": version.id, "cohorts": [pilot.cohorts[0].id, foreign.id]},
    )
    assert "suivent la version du référentiel choisie" in mixed.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ExportRecord.id))) == 0


def test_list_shows_conforming_and_altered(
    client: Any, logged_in: Any, export_settings: Path, version: Any
) -> None:
    kept = done_fiche(version, logged_in)
    tampered = done_fiche(version, logged_in)
    path = services.stored_file(tampered)
    assert path is not None
    path.write_bytes(path.read_bytes() + b"<!-- changed -->")
    html = client.get("/exports").get_data(as_text=True)
    assert html.count('class="integrity integrity-conforming">conforme<') == 1
    assert html.count('class="integrity integrity-altered">altéré<') == 1
    assert f"/exports/{kept.id}/telecharger" in html

    check = client.get(f"/exports/{tampered.id}/verifier").get_data(as_text=True)
    assert "altéré" in check and (tampered.sha256 or "") in check
    assert "conforme" in client.get(f"/exports/{kept.id}/verifier").get_data(as_text=True)


def test_download_of_a_tampered_file_is_refused(
    client: Any, logged_in: Any, export_settings: Path, version: Any
) -> None:
    record = done_fiche(version, logged_in)
    path = services.stored_file(record)
    assert path is not None
    original = path.read_bytes()
    assert client.get(f"/exports/{record.id}/telecharger").get_data() == original
    tampered = original.replace(b"<NUMERO_FICHE>MINI", b"<NUMERO_FICHE>MAXI")
    assert tampered != original
    path.write_bytes(tampered)
    refused = client.get(f"/exports/{record.id}/telecharger")
    assert refused.status_code == 409
    assert refused.mimetype == "text/html"
    assert "Téléchargement refusé" in refused.get_data(as_text=True)
    assert b"MAXI" not in refused.get_data()


def test_download_of_an_unfinished_export_is_404(
    client: Any, logged_in: Any, export_settings: Path, version: Any
) -> None:
    record = services.start_export(ExportKind.FICHE, cert_code="MINI", label="v1", actor=None)
    db.session.commit()
    assert client.get(f"/exports/{record.id}/telecharger").status_code == 404


URLS = [
    "/exports",
    "/exports/{id}",
    "/exports/{id}/statut",
    "/exports/{id}/verifier",
    "/exports/{id}/telecharger",
    "/exports/fiche",
    "/exports/accrochage",
]


@pytest.mark.parametrize("url", URLS)
def test_coordinators_only(
    client: Any,
    login: Any,
    create_user: Any,
    coordinator: Any,
    export_settings: Path,
    version: Any,
    url: str,
) -> None:
    record = done_fiche(version, coordinator)
    target = url.format(id=record.id)
    anonymous = client.get(target)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    for role in (Role.TRAINER, Role.LEARNER, Role.JURY):
        login(create_user(role))
        assert client.get(target).status_code == 403
    login(coordinator)
    assert client.get(target).status_code == 200


def test_posting_requires_a_coordinator(
    client: Any, login: Any, create_user: Any, export_settings: Path, version: Any
) -> None:
    login(create_user(Role.TRAINER))
    assert client.post("/exports/fiche", data={"version": version.id}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ExportRecord.id))) == 0


def test_people_data_stays_within_its_organisations(
    app: Flask,
    client: Any,
    login: Any,
    create_user: Any,
    coordinator: Any,
    export_settings: Path,
    version: Any,
    pilot: Pilot,
    db_session: Any,
) -> None:
    flow = services.start_export(
        ExportKind.ACCROCHAGE, cert_code="MINI", label="v1", actor=None, cohorts=pilot.cohorts
    )
    db.session.flush()
    services.perform_export(flow.id, lambda percent: None)
    fiche = done_fiche(version, coordinator)
    db.session.commit()
    elsewhere = Organisation(name="Ailleurs", kind=OrganisationKind.TRAINING)
    db_session.add(elsewhere)
    stranger = create_user(Role.COORDINATOR, organisations=[elsewhere])
    login(stranger)
    listing = client.get("/exports").get_data(as_text=True)
    assert f'href="/exports/{fiche.id}"' in listing
    assert f'href="/exports/{flow.id}"' not in listing
    for url in URLS[1:5]:
        assert client.get(url.format(id=flow.id)).status_code == 404
    assert client.get(f"/exports/{fiche.id}").status_code == 200
    login(coordinator)
    assert client.get(f"/exports/{flow.id}").status_code == 200
    assert f'href="/exports/{flow.id}"' in client.get("/exports").get_data(as_text=True)

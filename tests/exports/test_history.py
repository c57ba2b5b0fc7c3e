"""Every export kept with its SHA-256: stored once, downloaded again, tampering detected."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.exports_history import services
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.jobs import queue
from app.jobs.models import Job, JobStatus
from app.people.models import AuditEvent
from tests.exports.conftest import Pilot


def produce_fiche(version: Any, actor: Any = None) -> ExportRecord:
    record = services.start_export(
        ExportKind.FICHE,
        cert_code=version.certification.code,
        label=version.label,
        actor=actor,
    )
    db.session.flush()
    services.perform_export(record.id, lambda percent: None)
    db.session.commit()
    return record


def test_a_produced_file_is_kept_with_its_sha256(
    export_settings: Path, version: Any, coordinator: Any
) -> None:
    record = produce_fiche(version, coordinator)
    path = services.stored_file(record)
    assert path is not None and path.is_file()
    assert path.is_relative_to(export_settings)
    content = path.read_bytes()
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.size == len(content)
    assert record.status is ExportStatus.DONE and record.progress == 100
    assert record.finished_at is not None
    assert record.created_by_id == coordinator.id
    assert record.parameters["certification"] == "MINI"
    assert record.parameters["version"] == "v1"
    assert record.filename.startswith("fiche-MINI-v1-") and record.filename.endswith(".xml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "export_records", AuditEvent.object_id == record.id
        )
    ).all()
    assert sorted(actions) == ["export.done", "export.start"]


def test_verification_conforming_altered_missing(export_settings: Path, version: Any) -> None:
    record = produce_fiche(version)
    assert services.verify(record).integrity is services.Integrity.CONFORMING
    assert services.read_verified(record) is not None
    path = services.stored_file(record)
    assert path is not None
    path.write_bytes(path.read_bytes().replace(b"MINI", b"MAXI"))
    check = services.verify(record)
    assert check.integrity is services.Integrity.ALTERED
    assert check.expected == record.sha256 and check.actual != record.sha256
    assert services.read_verified(record) is None
    path.unlink()
    assert services.verify(record).integrity is services.Integrity.MISSING
    assert services.read_verified(record) is None


def test_a_stored_path_cannot_leave_the_exports_folder(
    export_settings: Path, version: Any, tmp_path: Path
) -> None:
    record = produce_fiche(version)
    outside = tmp_path / "outside.xml"
    outside.write_bytes(b"<x/>")
    record.stored_path = "../outside.xml"
    assert services.stored_file(record) is None
    assert services.verify(record).integrity is services.Integrity.MISSING


def test_a_pending_export_has_no_file_yet(export_settings: Path, version: Any) -> None:
    record = services.start_export(ExportKind.FICHE, cert_code="MINI", label="v1", actor=None)
    job = services.queue_export(record)
    db.session.commit()
    assert record.status is ExportStatus.PENDING and record.stored_path is None
    assert job.kind == "export.fiche" and job.payload == {"export_id": record.id}
    assert services.verify(record).integrity is services.Integrity.NOT_AVAILABLE


def test_the_job_produces_the_export_and_reports_progress(
    export_settings: Path, version: Any
) -> None:
    record = services.start_export(ExportKind.FICHE, cert_code="MINI", label="v1", actor=None)
    job = services.queue_export(record)
    db.session.commit()
    seen: list[int] = []
    original = services.set_progress

    def spy(record_id: int, percent: int) -> None:
        original(record_id, percent)
        seen.append(db.session.get(ExportRecord, record_id).progress)  # type: ignore[union-attr]

    services.set_progress = spy  # type: ignore[assignment]
    try:
        finished = queue.run_job(job.id)
    finally:
        services.set_progress = original  # type: ignore[assignment]
    assert finished.status is JobStatus.DONE and finished.progress == 100
    assert seen == sorted(seen) and len(seen) >= 3 and seen[-1] < 100
    db.session.refresh(record)
    assert record.status is ExportStatus.DONE
    assert services.verify(record).integrity is services.Integrity.CONFORMING


def test_a_failed_export_keeps_the_reason(
    export_settings: Path, version: Any, pilot: Pilot, app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CLIENT", "")
    record = services.start_export(
        ExportKind.ACCROCHAGE,
        cert_code="MINI",
        label="v1",
        actor=None,
        cohorts=pilot.cohorts,
    )
    job = services.queue_export(record)
    db.session.commit()
    finished = queue.run_job(job.id)
    assert finished.status is JobStatus.FAILED
    assert "identifiant client (idClient)" in finished.error
    failed = db.session.get(ExportRecord, record.id)
    assert failed is not None
    assert failed.status is ExportStatus.FAILED
    assert "identifiant client (idClient)" in failed.error
    assert failed.stored_path is None and failed.sha256 is None
    assert not any(export_settings.rglob("*.xml"))


def test_nobody_to_declare_fails_and_lists_who_was_left_out(
    export_settings: Path, version: Any, make_cohort: Any, enrol: Any
) -> None:
    cohort = make_cohort("Promotion sans identités")
    enrol(cohort, identity=None, name="Sans Identité")
    record = services.start_export(
        ExportKind.ACCROCHAGE,
        cert_code="MINI",
        label="v1",
        actor=None,
        cohorts=[cohort],
        test_file=True,  # MINI has no RNCP number
    )
    job = services.queue_export(record)
    db.session.commit()
    assert queue.run_job(job.id).status is JobStatus.FAILED
    failed = db.session.get(ExportRecord, record.id)
    assert failed is not None
    assert failed.error == "aucune personne certifiée à déclarer"
    assert failed.details["left_out"][0]["display_name"] == "Sans Identité"
    assert failed.details["left_out"][0]["reasons"] == ["identité civile non renseignée"]


def test_starting_refuses_unknown_versions_and_foreign_cohorts(
    export_settings: Path, version: Any, make_cohort: Any, create_version: Any, mini_doc: Any
) -> None:
    import pytest

    with pytest.raises(services.ExportError):
        services.start_export(ExportKind.FICHE, cert_code="MINI", label="v9", actor=None)
    with pytest.raises(services.ExportError):
        services.start_export(ExportKind.ACCROCHAGE, cert_code="MINI", label="v1", actor=None)
    mini_doc["version"]["label"] = "v2"
    other = create_version(mini_doc, publish=True)
    foreign = make_cohort("Sur une autre version", on=other)
    with pytest.raises(services.ExportError):
        services.start_export(
            ExportKind.ACCROCHAGE, cert_code="MINI", label="v1", actor=None, cohorts=[foreign]
        )
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_the_accrochage_form_says_what_is_missing_and_queues_nothing(
    client: Any,
    login: Any,
    coordinator: Any,
    pilot: Pilot,
    app: Any,
    monkeypatch: Any,
    version: Any,
) -> None:
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CONTRAT", "")
    login(coordinator)
    page = client.get("/exports/accrochage").get_data(as_text=True)
    assert "Ce flux ne peut pas encore être produit" in page
    assert "numéro de contrat (idContrat)" in page
    before = db.session.scalar(sa.select(sa.func.count(ExportRecord.id)))
    client.post(
        "/exports/accrochage",
        data={"version": version.id, "cohorts": [c.id for c in pilot.cohorts]},
    )
    assert db.session.scalar(sa.select(sa.func.count(ExportRecord.id))) == before

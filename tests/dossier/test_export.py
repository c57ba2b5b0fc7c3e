"""Producing the dossier: from the command line (progress bar, SHA-256, history) and from the
coordinator's page (a background job with progress, then the download)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.db import db
from app.exports_history import services
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.jobs import queue
from app.jobs.models import Job, JobStatus
from app.people.models import Organisation, OrganisationKind, Role
from tests.dossier.conftest import PilotMaker
from tests.factories import doc_variant


def records() -> list[ExportRecord]:
    return list(db.session.scalars(sa.select(ExportRecord).order_by(ExportRecord.id)))


def printed_sha(output: str) -> str:
    match = re.search(r"SHA-256 : ([0-9a-f]{64})", output)
    assert match, output
    return match.group(1)


@pytest.fixture
def two_cohorts(version: Any, pilots: PilotMaker) -> list[Any]:
    made = [pilots.cohort(version, f"Promotion {n}", learners=2) for n in (1, 2)]
    db.session.commit()
    return [m.cohort for m in made]


# --- command line --------------------------------------------------------------------------------


def test_the_command_writes_the_dossier_and_records_it(
    runner: Any, exports_folder: Path, two_cohorts: list[Any], tmp_path: Path
) -> None:
    out = tmp_path / "dossier.pdf"
    args = ["dossier", "export", "MINI", "--version", "v1", "--cohort", "Promotion 2"]
    result = runner.invoke(args=[*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    content = out.read_bytes()
    assert content.startswith(b"%PDF-")
    assert printed_sha(result.stdout) == hashlib.sha256(content).hexdigest()
    assert "Dossier de certification" in result.stderr  # the progress bar's label
    (record,) = records()
    assert record.kind is ExportKind.DOSSIER and record.status is ExportStatus.DONE
    assert record.created_by_id is None
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.filename.startswith("dossier-MINI-v1-") and record.filename.endswith(".pdf")
    assert record.parameters["cohorts"] == ["Promotion 2"]
    assert record.parameters["cohort_ids"] == [two_cohorts[1].id]
    assert [o.name for o in record.organisations] == ["Savoir Devenir"]
    pages = PdfReader(io.BytesIO(content)).pages
    assert record.details["pages"] == len(pages)
    assert f"{len(pages)} pages" in result.stdout
    assert services.read_verified(record) == content
    text = " ".join((p.extract_text() or "") for p in pages)
    assert "Promotion 2" in text and "Promotion 1" not in text


def test_without_cohorts_named_every_cohort_of_the_version_is_in(
    runner: Any, exports_folder: Path, two_cohorts: list[Any], tmp_path: Path
) -> None:
    out = tmp_path / "dossier.pdf"
    result = runner.invoke(args=["dossier", "export", "MINI", "--version", "v1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = records()
    assert record.parameters["cohorts"] == ["Promotion 1", "Promotion 2"]


def test_a_version_without_cohorts_gives_a_dossier_without_pilots(
    runner: Any, exports_folder: Path, version: Any, tmp_path: Path
) -> None:
    out = tmp_path / "dossier.pdf"
    result = runner.invoke(args=["dossier", "export", "MINI", "--version", "v1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = records()
    assert record.parameters["cohorts"] == [] and record.organisations == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "v1", "--cohort", "Inconnue"], "promotion inconnue pour MINI v1 : Inconnue"),
        (["--version", "v9"], "MINI n'a pas de version « v9 »"),
    ],
)
def test_bad_arguments_fail_and_record_nothing(
    runner: Any,
    exports_folder: Path,
    two_cohorts: list[Any],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "dossier.pdf"
    result = runner.invoke(args=["dossier", "export", "MINI", *args, "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert not out.exists() and records() == []


# --- progress ------------------------------------------------------------------------------------


def test_progress_is_reported_through_the_rendering(
    exports_folder: Path, two_cohorts: list[Any]
) -> None:
    record = services.start_export(
        ExportKind.DOSSIER, cert_code="MINI", label="v1", actor=None, cohorts=two_cohorts
    )
    db.session.flush()
    steps: list[int] = []
    services.perform_export(record.id, steps.append)
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    # Data built, HTML ready, pages laid out, PDF written: steps between 30 and 90.
    assert len([s for s in steps if 30 < s <= 90]) >= 3
    assert record.status is ExportStatus.DONE


# --- web -----------------------------------------------------------------------------------------


@pytest.fixture
def logged_in(client: Any, login: Any, coordinator: Any) -> Any:
    login(coordinator)
    return coordinator


def test_from_the_web_a_job_then_the_download(
    client: Any, logged_in: Any, exports_folder: Path, version: Any, two_cohorts: list[Any]
) -> None:
    page = client.get("/exports/dossier").get_data(as_text=True)
    assert "MINI — v1" in page
    for cohort in two_cohorts:
        assert f'value="{cohort.id}"' in page
    # The texts are the certifier's: a training organisation's coordinator is not sent there.
    assert "/dossier/MINI/textes" not in page
    assert client.get("/dossier/MINI/textes").status_code == 404

    response = client.post(
        "/exports/dossier", data={"version": version.id, "cohorts": [two_cohorts[0].id]}
    )
    assert response.status_code == 302
    (record,) = records()
    assert response.headers["Location"].endswith(f"/exports/{record.id}")
    assert record.status is ExportStatus.PENDING and record.created_by_id == logged_in.id
    assert record.filename.endswith(".pdf")
    job = db.session.get(Job, record.job_id)
    assert job is not None and job.kind == "export.dossier" and job.status is JobStatus.QUEUED
    html = client.get(f"/exports/{record.id}").get_data(as_text=True)
    assert "export-progress.js" in html and "<progress" in html

    assert queue.run_job(job.id).status is JobStatus.DONE
    status = client.get(f"/exports/{record.id}/statut").get_json()
    assert status["over"] and status["progress"] == 100
    db.session.refresh(record)
    html = client.get(f"/exports/{record.id}").get_data(as_text=True)
    assert record.sha256 in html and "Pages" in html

    download = client.get(f"/exports/{record.id}/telecharger")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    digest = base64.b64encode(hashlib.sha256(download.data).digest()).decode()
    assert download.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert hashlib.sha256(download.data).hexdigest() == record.sha256


def test_from_the_web_cohorts_are_optional(
    client: Any, logged_in: Any, exports_folder: Path, version: Any
) -> None:
    response = client.post("/exports/dossier", data={"version": version.id})
    assert response.status_code == 302
    (record,) = records()
    assert record.parameters["cohorts"] == []


def test_from_the_web_cohorts_must_follow_the_version(
    client: Any,
    logged_in: Any,
    exports_folder: Path,
    version: Any,
    pilots: PilotMaker,
    create_version: Any,
    mini_doc: Any,
) -> None:
    doc = doc_variant(mini_doc, label="v2")
    other = create_version(doc, publish=True)
    foreign = pilots.cohort(other, "Sur la v2", learners=1).cohort
    db.session.commit()
    response = client.post(
        "/exports/dossier", data={"version": version.id, "cohorts": [foreign.id]}
    )
    assert response.status_code == 200
    assert "qui suivent la version du référentiel choisie" in response.get_data(as_text=True)
    assert records() == []


def test_another_organisation_does_not_see_a_dossier_of_our_cohorts(
    client: Any,
    login: Any,
    create_user: Any,
    exports_folder: Path,
    version: Any,
    two_cohorts: list[Any],
    coordinator: Any,
) -> None:
    login(coordinator)
    client.post("/exports/dossier", data={"version": version.id, "cohorts": [two_cohorts[0].id]})
    (record,) = records()
    elsewhere = Organisation(name="Autre organisme", kind=OrganisationKind.TRAINING)
    db.session.add(elsewhere)
    db.session.commit()
    login(create_user(Role.COORDINATOR, organisations=[elsewhere]))
    assert client.get(f"/exports/{record.id}").status_code == 404

"""Start, run and keep exports: the record, its job, the file under EXPORTS_DIR and its SHA-256.

An export is started (record + job, in the caller's transaction), then performed by the job
(or directly by the command line): the exporter builds the bytes from plain data, the file is
written once, its size and SHA-256 recorded. Any later download re-checks the SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.cohorts.models import Cohort
from app.dates import file_stamp
from app.dates import today as local_today
from app.db import db, utcnow
from app.dossier.builder import dossier_data
from app.exports_history import builders
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus, Integrity
from app.files import write_private
from app.frameworks import services as frameworks
from app.frameworks.models import FrameworkVersion
from app.jobs import queue
from app.jobs.models import Job
from app.names import slug
from app.people import audit
from app.people.models import User
from app.settings import services as settings
from exports import dossier as dossier_pdf
from exports import plurals as french
from exports.accrochage import AccrochageError, LeftOut, build_accrochage
from exports.fiche import build_fiche

Progress = Callable[[int], None]

KINDS_WITH_JOBS = (ExportKind.DOSSIER, ExportKind.FICHE, ExportKind.ACCROCHAGE)
EXTENSIONS = {ExportKind.DOSSIER: ".pdf", ExportKind.FICHE: ".xml", ExportKind.ACCROCHAGE: ".xml"}


class ExportError(Exception):
    """An export cannot be started or produced; the message is for the coordinator."""

    def __init__(self, message: str, left_out: Sequence[LeftOut] = ()) -> None:
        super().__init__(message)
        self.left_out = list(left_out)


@dataclass(frozen=True)
class Verification:
    integrity: Integrity
    expected: str | None
    actual: str | None


# --- the folder ------------------------------------------------------------------------------


def exports_dir() -> Path:
    configured = current_app.config.get("EXPORTS_DIR")
    folder = (
        Path(configured) if configured else Path(current_app.config["INSTANCE_DIR"]) / "exports"
    )
    return folder.resolve()


def stored_file(record: ExportRecord) -> Path | None:
    """The record's file, refused if its path would leave EXPORTS_DIR."""
    if not record.stored_path:
        return None
    root = exports_dir()
    path = (root / record.stored_path).resolve()
    if not path.is_relative_to(root):
        return None
    return path


def _slug(text: str) -> str:
    """A file name's part: letters (case kept), digits and dots."""
    return slug(text, "x", keep=".", lower=False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store_file(record: ExportRecord, content: bytes) -> Path:
    """Write the export's file once (atomically, owner-only) and record size and SHA-256."""
    if record.id is None:
        db.session.flush()
    relative = Path(f"{record.created_at:%Y}") / f"{record.id:06d}-{record.filename}"
    path = exports_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    write_private(temporary, content)
    os.replace(temporary, path)
    record.stored_path = relative.as_posix()
    record.size = len(content)
    record.sha256 = hashlib.sha256(content).hexdigest()
    return path


def verify(record: ExportRecord) -> Verification:
    """Compare the file on disk with the SHA-256 recorded when it was written."""
    if record.status is not ExportStatus.DONE or not record.sha256:
        return Verification(Integrity.NOT_AVAILABLE, record.sha256, None)
    path = stored_file(record)
    if path is None or not path.is_file():
        return Verification(Integrity.MISSING, record.sha256, None)
    actual = sha256_of(path)
    same = hmac.compare_digest(actual, record.sha256)
    return Verification(Integrity.CONFORMING if same else Integrity.ALTERED, record.sha256, actual)


def read_verified(record: ExportRecord) -> bytes | None:
    """The file's bytes if they still match the recorded SHA-256, else None."""
    path = stored_file(record)
    if record.status is not ExportStatus.DONE or path is None or not path.is_file():
        return None
    content = path.read_bytes()
    if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), record.sha256 or ""):
        return None
    return content


# --- starting --------------------------------------------------------------------------------


def export_version(cert_code: str, label: str) -> FrameworkVersion:
    """The version to export, with all its content; ExportError if unknown."""
    try:
        frameworks.get_certification(cert_code)
        return frameworks.load_version(cert_code, label)
    except frameworks.FrameworkError as exc:
        raise ExportError(str(exc)) from exc


def resolve_cohorts(
    version: FrameworkVersion,
    *,
    names: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
) -> list[Cohort]:
    """The cohorts of `version` named (or given by id); all its cohorts when neither is given."""
    query = sa.select(Cohort).where(Cohort.version_id == version.id).order_by(Cohort.id)
    cohorts = list(db.session.scalars(query))
    if names:
        unknown = sorted(set(names) - {c.name for c in cohorts})
        if unknown:
            raise ExportError(
                french.ngettext(
                    "promotion inconnue pour %(cert)s %(label)s : %(names)s",
                    "promotions inconnues pour %(cert)s %(label)s : %(names)s",
                    len(unknown),
                    cert=version.certification.code,
                    label=version.label,
                    names=", ".join(unknown),
                )
            )
        cohorts = [c for c in cohorts if c.name in set(names)]
    if ids is not None:
        missing = set(ids) - {c.id for c in cohorts}
        if missing:
            raise ExportError("une promotion choisie ne suit pas cette version du référentiel")
        cohorts = [c for c in cohorts if c.id in set(ids)]
    if not cohorts:
        raise ExportError(f"aucune promotion sur {version.certification.code} {version.label}")
    return cohorts


def _filename(
    kind: ExportKind, version: FrameworkVersion, extension: str, *, test_file: bool = False
) -> str:
    stamp = file_stamp(utcnow())
    parts = [kind.value, version.certification.code, version.label, stamp]
    if test_file:
        parts.insert(1, "test")
    return "-".join(_slug(p) for p in parts) + extension


def start_export(
    kind: ExportKind,
    *,
    cert_code: str,
    label: str,
    actor: User | None,
    cohorts: Sequence[Cohort] = (),
    test_file: bool = False,
) -> ExportRecord:
    """Record an export to produce (pending); the caller queues it or performs it.

    An accrochage is refused while the certification has no RNCP number, unless
    `test_file` asks for a file to try the flow with."""
    if kind not in KINDS_WITH_JOBS:
        raise ExportError(f"export non disponible : {kind.value}")
    version = export_version(cert_code, label)
    if kind is ExportKind.ACCROCHAGE and not cohorts:
        raise ExportError("choisissez au moins une promotion")
    if kind is ExportKind.ACCROCHAGE and not test_file:
        problem = accrochage_refusal(version)
        if problem:
            raise ExportError(problem)
    if any(c.version_id != version.id for c in cohorts):
        raise ExportError("une promotion choisie ne suit pas cette version du référentiel")
    organisations = {c.organisation.id: c.organisation for c in cohorts}
    record = ExportRecord(
        kind=kind,
        created_by=actor,
        status=ExportStatus.PENDING,
        filename=_filename(
            kind, version, EXTENSIONS[kind], test_file=kind is ExportKind.ACCROCHAGE and test_file
        ),
        parameters={
            "certification": version.certification.code,
            "version": version.label,
            "cohort_ids": [c.id for c in cohorts],
            "cohorts": [c.name for c in cohorts],
            **({"test_file": True} if kind is ExportKind.ACCROCHAGE and test_file else {}),
        },
        organisations=list(organisations.values()),
    )
    db.session.add(record)
    audit.record(
        "export.start",
        record,
        f"Export {kind.value} demandé : {version.certification.code} {version.label}",
        actor=actor,
        kind=kind.value,
        certification=version.certification.code,
        version=version.label,
        cohorts=[c.name for c in cohorts],
    )
    return record


def queue_export(record: ExportRecord) -> Job:
    """Put the export on the job queue (same transaction as the record)."""
    job = queue.enqueue(f"export.{record.kind.value}", {"export_id": record.id})
    record.job = job
    return job


# --- performing ------------------------------------------------------------------------------


def _accrochage_settings(version: FrameworkVersion) -> tuple[str, str, str]:
    ids = settings.accrochage_ids(version)
    if ids.missing:
        raise ExportError("il manque " + " et ".join(ids.missing))
    prefix = _slug(current_app.config.get("ACCROCHAGE_ID_FLUX_PREFIX") or "COOP")[:20]
    return ids.client_id, ids.contract_id, prefix


def accrochage_refusal(version: FrameworkVersion) -> str | None:
    """Why a real accrochage flow of `version` cannot be made yet (None when it can)."""
    if builders.rncp_number(version):
        return None
    code = version.certification.code
    return (
        f"La certification {code} n'a pas encore de numéro RNCP : la Caisse des Dépôts "
        "n'accepte un flux d'accrochage que pour une certification enregistrée au RNCP. "
        "Saisissez le numéro (RNCPnnnnn) dans la certification dès qu'il est attribué ; "
        "d'ici là, vous pouvez produire un fichier de test."
    )


def _left_out_details(left_out: Sequence[LeftOut]) -> list[dict[str, Any]]:
    return [{**asdict(item), "reasons": list(item.reasons)} for item in left_out]


def _produce_dossier(record: ExportRecord, version: FrameworkVersion, progress: Progress) -> bytes:
    """Build the dossier's data (fixed number of queries), then lay it out: the longest step,
    reported coarsely (HTML ready, pages laid out, PDF written)."""
    today = local_today()
    data = dossier_data(version, record.parameters.get("cohort_ids", []), generated_on=today)
    progress(35)
    rendered = dossier_pdf.render(data, lambda percent: progress(35 + percent * 54 // 100))
    record.details = {
        "pages": rendered.pages,
        "cohorts": len(data.cohorts),
        "texts_revision": data.texts_revision,
    }
    return rendered.pdf


def _produce(record: ExportRecord, progress: Progress) -> bytes:
    parameters = record.parameters
    version = export_version(parameters["certification"], parameters["version"])
    progress(30)
    if record.kind is ExportKind.DOSSIER:
        return _produce_dossier(record, version, progress)
    if record.kind is ExportKind.FICHE:
        content = build_fiche(builders.fiche_data(version))
        record.details = {"blocs": len(version.blocs)}
        return content
    client_id, contract_id, prefix = _accrochage_settings(version)
    test_file = bool(parameters.get("test_file"))
    if test_file:
        prefix = f"TEST-{prefix}"
    now = utcnow()
    data = builders.accrochage_data(
        version,
        parameters.get("cohort_ids", []),
        flux_id=f"{prefix}-{now:%Y%m%d%H%M%S}-{record.id}",
        client_id=client_id,
        contract_id=contract_id,
        generated_at=now,
        test_file=test_file,
    )
    progress(60)
    try:
        content, left_out = build_accrochage(data)
    except AccrochageError as exc:
        raise ExportError(str(exc), exc.left_out) from exc
    record.details = {
        "declared": len(data.passages) - len(left_out),
        "left_out": _left_out_details(left_out),
        "code": data.declared_code,
        "test_file": test_file,
    }
    return content


def perform_export(record_id: int, progress: Progress) -> ExportRecord:
    """Produce the file of a pending export and record it done (the caller commits)."""
    record = db.session.get(ExportRecord, record_id)
    if record is None:
        raise ExportError(f"export introuvable : {record_id}")
    if record.status is ExportStatus.DONE:
        return record
    record.status = ExportStatus.RUNNING
    record.progress = 10
    progress(10)
    content = _produce(record, progress)
    progress(90)
    path = store_file(record, content)
    try:
        record.status = ExportStatus.DONE
        record.progress = 100
        record.error = ""
        record.finished_at = utcnow()
        audit.record(
            "export.done",
            record,
            f"Export {record.kind.value} produit : {record.filename}",
            actor=None,
            sha256=record.sha256,
            size=record.size,
        )
        db.session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return record


def fail_export(record_id: int, error: Exception) -> None:
    """Record that an export failed, with the reason (the caller commits)."""
    record = db.session.get(ExportRecord, record_id)
    if record is None:
        return
    message = str(error) or type(error).__name__
    if not isinstance(error, ExportError):
        message = f"erreur inattendue : {message}"
    record.status = ExportStatus.FAILED
    record.error = message
    record.finished_at = utcnow()
    record.stored_path = record.size = record.sha256 = None
    if isinstance(error, ExportError) and error.left_out:
        record.details = {"declared": 0, "left_out": _left_out_details(error.left_out)}
    audit.record(
        "export.failed", record, f"Export {record.kind.value} en échec", actor=None, error=message
    )


def set_progress(record_id: int, percent: int) -> None:
    record = db.session.get(ExportRecord, record_id)
    if record is not None and not record.is_over:
        record.progress = max(record.progress, max(0, min(99, percent)))

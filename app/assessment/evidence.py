"""Evidence files (pièces justificatives): what is accepted, where it is kept, who wrote it.

A file's type is recognised from its content (magic bytes, and the inside of office
documents), never from its name or what the browser claims; the name's extension must agree
with the content. Files live outside the web root, under a random name, in EVIDENCE_DIR.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import struct
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.assessment.models import EvidenceFile
from app.cohorts.models import Enrolment
from app.db import db
from app.files import write_private
from app.frameworks.models import Competency
from app.people import audit
from app.people.models import User


class EvidenceError(Exception):
    """A file refused, with a message for the person who sent it."""


@dataclass(frozen=True)
class FileKind:
    media_type: str
    label: str  # lazy French label
    extensions: tuple[str, ...]  # the first one is added to a name that has none


_KINDS = [
    FileKind("application/pdf", _l("document PDF"), (".pdf",)),
    FileKind("image/png", _l("image PNG"), (".png",)),
    FileKind("image/jpeg", _l("image JPEG"), (".jpg", ".jpeg", ".jpe", ".jfif")),
    FileKind("image/gif", _l("image GIF"), (".gif",)),
    FileKind("image/webp", _l("image WebP"), (".webp",)),
    FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _l("document Word"),
        (".docx",),
    ),
    FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _l("classeur Excel"),
        (".xlsx",),
    ),
    FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _l("présentation PowerPoint"),
        (".pptx",),
    ),
    FileKind("application/vnd.oasis.opendocument.text", _l("texte OpenDocument"), (".odt",)),
    FileKind(
        "application/vnd.oasis.opendocument.spreadsheet", _l("classeur OpenDocument"), (".ods",)
    ),
    FileKind(
        "application/vnd.oasis.opendocument.presentation",
        _l("présentation OpenDocument"),
        (".odp",),
    ),
    FileKind("application/msword", _l("document Word (ancien format)"), (".doc",)),
    FileKind("application/vnd.ms-excel", _l("classeur Excel (ancien format)"), (".xls",)),
]
KINDS = {kind.media_type: kind for kind in _KINDS}

# --- recognising the content ---------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
_ODF = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
# Streams that make a compound (OLE2) file a Word or an Excel document.
_OLE_STREAMS = {
    "WordDocument": "application/msword",
    "Workbook": "application/vnd.ms-excel",
    "Book": "application/vnd.ms-excel",
}
# How much of a zip entry is read to recognise a document: never a whole (maybe bomb) entry.
_ZIP_ENTRY_LIMIT = 1024 * 1024


def sniff(data: bytes) -> str | None:
    """The media type of `data` among the accepted kinds, from its content; None otherwise."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if data.startswith(_OLE2):
        return _sniff_ole2(data)
    return None


def _sniff_zip(data: bytes) -> str | None:
    """ODF documents name their type in a `mimetype` entry; OOXML ones in [Content_Types].xml."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    declared = entry.read(200).decode("ascii").strip()
                return declared if declared in _ODF else None
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as entry:
                    types = entry.read(_ZIP_ENTRY_LIMIT)
                for main, media_type in _OOXML_MAIN.items():
                    if b'"' + main + b'"' in types:
                        return media_type
    except Exception:  # a damaged, encrypted or exotic archive: not a document we accept
        return None
    return None


def _sniff_ole2(data: bytes) -> str | None:
    """Find a Word or Excel stream among the directory entries of a compound file.

    Directory entries are 128 bytes, aligned on sector boundaries after the header sector;
    each has its UTF-16 name, the name's length in bytes, and its type (2: a stream).
    """
    if len(data) < 512:
        return None
    (sector_shift,) = struct.unpack_from("<H", data, 30)
    if sector_shift not in (9, 12):
        return None
    for offset in range(1 << sector_shift, len(data) - 127, 128):
        (name_length,) = struct.unpack_from("<H", data, offset + 64)
        if not 2 <= name_length <= 64 or name_length % 2 or data[offset + 66] != 2:
            continue
        try:
            name = data[offset : offset + name_length - 2].decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if name in _OLE_STREAMS:
            return _OLE_STREAMS[name]
    return None


# --- names ---------------------------------------------------------------------------------------

_FORBIDDEN = set('<>:"/\\|?*')


def clean_name(name: str) -> str:
    """The name shown and offered on download: no folders, no control or direction-changing
    characters, at most 200 characters (extension kept)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in _FORBIDDEN)
    name = name.strip().lstrip(". ").strip()
    if len(name) <= 200:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 10:
        return stem[: 199 - len(ext)] + "." + ext
    return name[:200]


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its content, name and recognised kind."""

    content: bytes
    name: str
    kind: FileKind


def check_upload(content: bytes, filename: str, max_bytes: int) -> CheckedFile:
    """Accept a file from its size and content, or raise EvidenceError (in French)."""
    if not content:
        raise EvidenceError(_l("Le fichier est vide."))
    if len(content) > max_bytes:
        raise EvidenceError(
            _l(
                "Le fichier dépasse la taille maximale de %(size)s.",
                size=format_size(max_bytes),
            )
        )
    media_type = sniff(content)
    if media_type is None:
        raise EvidenceError(
            _l(
                "Type de fichier non accepté. Sont acceptés les documents PDF, les images "
                "(PNG, JPEG, GIF, WebP) et les documents bureautiques (Word, Excel, PowerPoint, "
                "OpenDocument). Le type est reconnu d'après le contenu du fichier."
            )
        )
    kind = KINDS[media_type]
    name = clean_name(filename)
    extension = _extension(name)
    if not extension:
        name = (name or "piece") + kind.extensions[0]
    elif extension not in kind.extensions:
        raise EvidenceError(
            _l(
                "Le contenu du fichier (%(kind)s) ne correspond pas à son extension « %(ext)s ».",
                kind=kind.label,
                ext=extension,
            )
        )
    return CheckedFile(content, name, kind)


def format_size(size: int) -> str:
    """A size in French units: 820 octets, 12 ko, 3,4 Mo."""
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} ko"
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " Mo"


# --- storage -------------------------------------------------------------------------------------

_STORED_NAME = re.compile(r"[0-9a-f]{64}")


def storage_dir() -> Path:
    configured = current_app.config.get("EVIDENCE_DIR")
    return Path(configured or Path(current_app.config["INSTANCE_DIR"]) / "evidence")


def stored_path(stored_name: str) -> Path:
    """Where a stored file lives; only names this module made are accepted."""
    if not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a stored evidence name")
    return storage_dir() / stored_name[:2] / stored_name


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    write_private(temporary, content, exclusive=True)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def attach(
    enrolment: Enrolment, competency: Competency, checked: CheckedFile, by: User
) -> EvidenceFile:
    """Record and store a checked file for a learner's competency (the caller commits)."""
    if competency.version_id != enrolment.cohort.version_id:
        raise EvidenceError(_l("Cette compétence n'appartient pas au référentiel de la promotion."))
    evidence = EvidenceFile(
        enrolment=enrolment,
        competency=competency,
        original_name=checked.name,
        stored_name=secrets.token_hex(32),
        media_type=checked.kind.media_type,
        size_bytes=len(checked.content),
        sha256=hashlib.sha256(checked.content).hexdigest(),
        uploaded_by=by,
    )
    db.session.add(evidence)
    audit.record(
        "evidence.upload",
        evidence,
        f"Pièce « {checked.name} » ajoutée pour {competency.code}",
        actor=by,
        enrolment_id=enrolment.id,
        competency_id=competency.id,
        media_type=evidence.media_type,
        size_bytes=evidence.size_bytes,
        sha256=evidence.sha256,
    )
    # Written last, once the rows are accepted by the database.
    _write(stored_path(evidence.stored_name), checked.content)
    return evidence


def discard(evidence: EvidenceFile) -> None:
    """Remove the stored file of a row that was not saved: nothing half-saved."""
    stored_path(evidence.stored_name).unlink(missing_ok=True)


# --- reading -------------------------------------------------------------------------------------


def evidence_by_competency(enrolment_id: int) -> dict[int, list[EvidenceFile]]:
    """An enrolment's files per competency id, oldest first (one query, plus the uploaders)."""
    rows = db.session.scalars(
        sa.select(EvidenceFile)
        .where(EvidenceFile.enrolment_id == enrolment_id)
        .options(selectinload(EvidenceFile.uploaded_by))
        .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
    )
    grouped: dict[int, list[EvidenceFile]] = defaultdict(list)
    for evidence in rows:
        grouped[evidence.competency_id].append(evidence)
    return grouped

"""Evidence files: types recognised from the content, size limits, storage, who may download."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from app.assessment import evidence
from app.assessment.models import EvidenceFile
from app.people.models import AuditEvent
from tests.jury.factories import Pilot, open_session

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 20
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + b"\x00" * 22
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _docx(main: str = WORD_MAIN) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types"><Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
    )
    return _zip({"[Content_Types].xml": types.encode(), "word/document.xml": b"<w:document/>"})


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "Grille"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _odf(mimetype: str) -> bytes:
    return _zip({"mimetype": mimetype.encode(), "content.xml": b"<office:document-content/>"})


def _ole2(*streams: str) -> bytes:
    """A minimal compound file: header sector, then one directory sector."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<H", header, 30, 9)  # 512-byte sectors
    directory = bytearray(512)
    for i, (name, kind) in enumerate([("Root Entry", 5), *((s, 2) for s in streams)]):
        entry = i * 128
        encoded = name.encode("utf-16-le")
        directory[entry : entry + len(encoded)] = encoded
        struct.pack_into("<H", directory, entry + 64, len(encoded) + 2)
        directory[entry + 66] = kind
    return bytes(header + directory)


# --- recognising the content ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            _odf("application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
        (
            _odf("application/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        (_ole2("WordDocument", "1Table"), "application/msword"),
        (_ole2("Workbook"), "application/vnd.ms-excel"),
    ],
)
def test_accepted_kinds_recognised_from_content(content: bytes, media_type: str) -> None:
    assert evidence.sniff(content) == media_type


@pytest.mark.parametrize(
    "content",
    [
        HTML,
        SVG,
        b"MZ\x90\x00" + b"\x00" * 60,  # a Windows program
        b"just some text",
        _zip({"readme.txt": b"hello"}),  # a zip that is no document
        _docx("application/vnd.ms-word.document.macroEnabled.main+xml"),  # .docm: macros
        _odf("application/vnd.oasis.opendocument.graphics"),  # not one of ours
        b"PK\x03\x04" + b"\x00" * 100,  # a broken zip
        _ole2("Root only is not a document"),  # OLE2 without Word or Excel streams
        _ole2()[:300],  # truncated
    ],
)
def test_other_contents_refused(content: bytes) -> None:
    assert evidence.sniff(content) is None


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("C:\\Users\\léa\\Compte-rendu d'atelier.pdf", "Compte-rendu d'atelier.pdf"),
        ("rapport\u202efdp.exe", "rapportfdp.exe"),  # right-to-left override removed
        ("..", ""),
        (".htaccess", "htaccess"),
        ("a\x00b\n.pdf", "ab.pdf"),
    ],
)
def test_names_are_cleaned(name: str, cleaned: str) -> None:
    assert evidence.clean_name(name) == cleaned


def test_long_names_keep_their_extension() -> None:
    name = evidence.clean_name("é" * 300 + ".docx")
    assert len(name) <= 200 and name.endswith(".docx")


# --- uploading -----------------------------------------------------------------------------------


def _url(pilot: Pilot, index: int = 0) -> str:
    return f"/inscriptions/{pilot.enrolments[index].id}/preuves"


def _competency(pilot: Pilot, code: str = "C1.1") -> int:
    return next(c.id for b in pilot.version.blocs for c in b.competencies if c.code == code)


def _upload(client: Any, url: str, competency: int, content: bytes, name: str) -> Any:
    return client.post(
        url,
        data={"competency": competency, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _rows(db_session: Any) -> list[EvidenceFile]:
    return list(db_session.scalars(sa.select(EvidenceFile)))


def test_trainer_uploads_evidence(
    pilot: Pilot, db_session: Any, client: Any, login: Any, evidence_dir: Path
) -> None:
    login(pilot.trainer)
    page = client.get(_url(pilot)).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "C1.1" in page
    response = _upload(client, _url(pilot), _competency(pilot), PDF, "Compte-rendu d'atelier.pdf")
    assert response.status_code == 302
    (row,) = _rows(db_session)
    assert row.original_name == "Compte-rendu d'atelier.pdf"
    assert row.media_type == "application/pdf"
    assert row.size_bytes == len(PDF)
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert row.uploaded_by_id == pilot.trainer.id
    # Stored outside the web root, under a random name that says nothing of the original.
    stored = evidence_dir / row.stored_name[:2] / row.stored_name
    assert stored.read_bytes() == PDF
    assert len(row.stored_name) == 64 and "Compte" not in row.stored_name
    assert not stored.resolve().is_relative_to(Path(__file__).resolve().parents[2] / "app")
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "evidence.upload"))
    assert event.object_id == row.id and event.actor_id == pilot.trainer.id
    assert event.details["sha256"] == row.sha256
    assert "Compte-rendu d&#39;atelier.pdf" in client.get(_url(pilot)).get_data(as_text=True)


def test_learner_uploads_own_evidence_only(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(pilot.learners[0])
    assert _upload(client, _url(pilot, 0), _competency(pilot), PNG, "photo.png").status_code == 302
    assert _upload(client, _url(pilot, 1), _competency(pilot), PNG, "photo.png").status_code == 404
    assert [r.enrolment_id for r in _rows(db_session)] == [pilot.enrolments[0].id]


def test_who_may_not_upload(pilot: Pilot, db_session: Any, client: Any, login: Any) -> None:
    open_session(db_session, pilot)  # Juliette now sees the learners' evidence
    for user, status in [
        (pilot.other_trainer, 404),  # not their cohort: not even visible
        (pilot.other_coordinator, 403),  # a coordinator role may not upload at all
        (pilot.coordinator, 403),
        (pilot.jury_member, 403),
    ]:
        login(user)
        response = _upload(client, _url(pilot), _competency(pilot), PDF, "x.pdf")
        assert response.status_code == status, user.full_name
    assert _rows(db_session) == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (PNG, "rapport.pdf", "ne correspond pas à son extension « .pdf »"),
        (HTML, "rapport.pdf", "Type de fichier non accepté"),
        (HTML, "page.html", "Type de fichier non accepté"),
        (SVG, "logo.svg", "Type de fichier non accepté"),
        (PDF, "script.js", "ne correspond pas à son extension « .js »"),
        (b"", "vide.pdf", "Le fichier est vide."),
    ],
)
def test_wrong_content_refused(
    pilot: Pilot,
    db_session: Any,
    client: Any,
    login: Any,
    evidence_dir: Path,
    content: bytes,
    name: str,
    message: str,
) -> None:
    login(pilot.trainer)
    response = _upload(client, _url(pilot), _competency(pilot), content, name)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="file-errors"' in html  # next to the field
    assert _rows(db_session) == []
    assert not evidence_dir.exists() or not any(evidence_dir.rglob("*"))


def test_name_without_extension_gets_one(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(pilot.learners[0])
    assert _upload(client, _url(pilot), _competency(pilot), JPEG, "scan").status_code == 302
    assert _rows(db_session)[0].original_name == "scan.jpg"


def test_path_traversal_names_are_harmless(
    pilot: Pilot, db_session: Any, client: Any, login: Any, evidence_dir: Path
) -> None:
    login(pilot.trainer)
    for name in ("../../../app/static/evil.pdf", "..\\..\\evil.pdf", "/etc/evil.pdf"):
        assert _upload(client, _url(pilot), _competency(pilot), PDF, name).status_code == 302
    assert {r.original_name for r in _rows(db_session)} == {"evil.pdf"}
    root = Path(__file__).resolve().parents[2]
    assert not (root / "app" / "static" / "evil.pdf").exists()
    stored = sorted(p for p in evidence_dir.rglob("*") if p.is_file())
    assert len(stored) == 3 and all(p.parent.parent == evidence_dir for p in stored)


def test_too_big_refused(
    pilot: Pilot, db_session: Any, client: Any, login: Any, app: Flask, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    login(pilot.trainer)
    content = PDF + b"%" * 1000
    response = _upload(client, _url(pilot), _competency(pilot), content, "gros.pdf")
    assert response.status_code == 400
    assert "dépasse la taille maximale de 1000 octets" in response.get_data(as_text=True)
    assert _upload(client, _url(pilot), _competency(pilot), PDF, "petit.pdf").status_code == 302
    # Beyond the request limit, the request is cut short with a French page.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 5000)
    response = _upload(client, _url(pilot), _competency(pilot), PDF + b"%" * 10_000, "x.pdf")
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)
    assert [r.original_name for r in _rows(db_session)] == ["petit.pdf"]


def test_default_limits(app: Flask) -> None:
    assert app.config["EVIDENCE_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["EVIDENCE_MAX_BYTES"]


def test_competency_of_another_version_refused(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(pilot.trainer)
    assert _upload(client, _url(pilot), 999_999, PDF, "x.pdf").status_code == 400
    assert _rows(db_session) == []


def test_failed_commit_leaves_no_file(
    pilot: Pilot, db_session: Any, client: Any, login: Any, evidence_dir: Path
) -> None:
    def failing_commit() -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk full"))

    login(pilot.trainer)
    db_session.commit = failing_commit
    try:
        response = _upload(client, _url(pilot), _competency(pilot), PDF, "a.pdf")
    finally:
        del db_session.commit
    assert response.status_code == 503
    assert [p for p in evidence_dir.rglob("*") if p.is_file()] == []
    assert _rows(db_session) == []


# --- downloading ---------------------------------------------------------------------------------


@pytest.fixture
def stored_pdf(pilot: Pilot, db_session: Any, client: Any, login: Any) -> EvidenceFile:
    login(pilot.trainer)
    _upload(client, _url(pilot), _competency(pilot), PDF, "Synthèse d'étape.pdf")
    (row,) = _rows(db_session)
    return row


def test_download_headers(pilot: Pilot, client: Any, login: Any, stored_pdf: EvidenceFile) -> None:
    login(pilot.learners[0])
    response = client.get(f"/preuves/{stored_pdf.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Synth%C3%A8se%20d%27%C3%A9tape.pdf" in disposition
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    response.close()


def test_download_access_per_role(
    pilot: Pilot, db_session: Any, client: Any, login: Any, stored_pdf: EvidenceFile
) -> None:
    url = f"/preuves/{stored_pdf.id}"
    allowed = [pilot.learners[0], pilot.trainer, pilot.coordinator]
    refused = [
        pilot.learners[1],  # a fellow learner
        pilot.other_trainer,
        pilot.other_coordinator,
        pilot.jury_member,  # not (yet) presented to a session of theirs
        pilot.other_jury_member,
    ]
    for user in allowed:
        login(user)
        response = client.get(url)
        assert response.status_code == 200, user.full_name
        response.close()
    for user in refused:
        login(user)
        assert client.get(url).status_code == 404, user.full_name
        assert client.get(_url(pilot)).status_code == 404, user.full_name
    # Jury members read the evidence of the learners presented to their session.
    open_session(db_session, pilot, enrolments=[pilot.enrolments[0]])
    login(pilot.jury_member)
    response = client.get(url)
    assert response.status_code == 200
    response.close()
    login(pilot.other_jury_member)
    assert client.get(url).status_code == 404
    with client.session_transaction() as cookie:
        cookie.clear()
    assert client.get(url).status_code == 302  # to the login page


def test_missing_file_is_404(
    pilot: Pilot, client: Any, login: Any, stored_pdf: EvidenceFile, evidence_dir: Path
) -> None:
    (evidence_dir / stored_pdf.stored_name[:2] / stored_pdf.stored_name).unlink()
    login(pilot.trainer)
    assert client.get(f"/preuves/{stored_pdf.id}").status_code == 404
    assert client.get("/preuves/999999").status_code == 404


def test_stored_path_refuses_other_names(app: Flask) -> None:
    with app.app_context():
        for name in ("../../etc/passwd", "a" * 64 + "/..", "A" * 64, ""):
            with pytest.raises(ValueError):
                evidence.stored_path(name)

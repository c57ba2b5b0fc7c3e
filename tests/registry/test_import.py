"""Reading a register export: counts, re-imports, refusals."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.registry.importer import RegisterImportError, import_register
from app.registry.models import (
    CodeKind,
    RegistryCode,
    RegistryFiche,
    RegistryStatement,
    RegistryTerm,
    StatementKind,
)
from bench.rncp_register import write_register


def test_a_first_import_adds_every_fiche_with_its_blocs_codes_and_statements(
    db_session: Any, load_register: Any, register_a: Path
) -> None:
    report = load_register(register_a)
    assert (report.added, report.changed, report.unchanged, report.withdrawn) == (3, 0, 0, 0)
    fiche = db_session.scalar(sa.select(RegistryFiche).where(RegistryFiche.number == "RNCP34001"))
    assert fiche.title == "Chargé de développement territorial"
    assert fiche.level == 6 and fiche.active and fiche.state == "Publiée"
    assert fiche.end_date.isoformat() == "2028-12-31"
    assert [b.code for b in fiche.blocs] == ["RNCP34001BC01", "RNCP34001BC02"]
    codes = {(c.kind, c.code, c.label) for c in fiche.codes}
    assert (CodeKind.ROME, "K1802", "Développement local") in codes
    assert (CodeKind.NSF, "344t", "Développement territorial") in codes
    # The bullets of an HTML fragment ("- …<br/>- …") become one competency each.
    second = fiche.blocs[1]
    competencies = [s.text for s in second.statements if s.kind is StatementKind.COMPETENCY]
    assert competencies == [
        "Organiser et animer des réunions de concertation multi-acteurs en utilisant des "
        "méthodes participatives adaptées au public",
        "Formaliser les engagements réciproques des partenaires dans une convention de "
        "coopération signée par chacun",
    ]
    inactive = db_session.scalar(
        sa.select(RegistryFiche).where(RegistryFiche.number == "RNCP29003")
    )
    assert not inactive.active
    # A fiche without blocs: its capacities are its competencies.
    kinds = db_session.scalars(
        sa.select(RegistryStatement.kind).where(RegistryStatement.fiche_id == inactive.id)
    ).all()
    assert StatementKind.COMPETENCY in kinds
    # Stems are counted per statement, for the copy check's rare words.
    cooperation = db_session.get(RegistryTerm, "cooper")
    assert cooperation is not None and cooperation.statements == 4


def test_a_reimport_replaces_changed_fiches_and_marks_the_missing_ones_withdrawn(
    db_session: Any, load_register: Any, register_a: Path, register_b: Path
) -> None:
    load_register(register_a)
    first = db_session.scalar(
        sa.select(RegistryFiche.id).where(RegistryFiche.number == "RNCP34001")
    )
    again = load_register(register_a)
    assert (again.added, again.changed, again.unchanged, again.withdrawn) == (0, 0, 3, 0)

    report = load_register(register_b)
    assert (report.added, report.changed, report.unchanged, report.withdrawn) == (1, 1, 1, 1)
    db_session.expire_all()
    # The unchanged fiche kept its row; the changed one says the new text, once.
    assert (
        db_session.scalar(sa.select(RegistryFiche.id).where(RegistryFiche.number == "RNCP34001"))
        == first
    )
    texts = db_session.scalars(
        sa.select(RegistryStatement.text)
        .join(RegistryFiche)
        .where(
            RegistryFiche.number == "RNCP34002", RegistryStatement.kind == StatementKind.COMPETENCY
        )
    ).all()
    assert any("allergènes" in t for t in texts)
    assert not any("les fiches techniques et le plan" in t for t in texts)
    gone = db_session.scalar(sa.select(RegistryFiche).where(RegistryFiche.number == "RNCP29003"))
    assert gone.withdrawn_at is not None
    # The stems of the replaced statement no longer count.
    assert db_session.get(RegistryTerm, "allergen").statements == 1


def test_the_official_zip_and_the_generated_register_read_alike(
    db_session: Any, tmp_path: Path
) -> None:
    path = write_register(tmp_path / "register.zip", 40)
    report = import_register(db_session, path)
    count = db_session.scalar(sa.select(sa.func.count(RegistryFiche.id)))
    assert report.added == count > 30
    assert report.statements == db_session.scalar(sa.select(sa.func.count(RegistryStatement.id)))
    second = import_register(db_session, write_register(tmp_path / "next.zip", 40, edition=2))
    assert second.added + second.changed + second.unchanged == second.numbers.__len__()
    assert second.unchanged > 30


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE FICHES [<!ENTITY x "boom">]><FICHES>&x;</FICHES>',
            "DOCTYPE",
        ),
        (b"<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE>", "XML mal formé"),
        (b"<CERTIFS/>", "élément racine inattendu"),
        (b"<FICHES><VERSION_FLUX>4.1</VERSION_FLUX></FICHES>", "aucune fiche"),
        (
            b"<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><INTITULE>A</INTITULE></FICHE>"
            b"<FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><INTITULE>B</INTITULE></FICHE></FICHES>",
            "RNCP1 figure deux fois",
        ),
    ],
)
def test_bad_files_are_refused_with_what_is_wrong(
    db_session: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    with pytest.raises(RegisterImportError, match=message) as caught:
        import_register(db_session, path)
    assert "export.xml" in str(caught.value)


def test_a_zip_bomb_is_refused_before_it_is_read(db_session: Any, tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("export.xml", "w", force_zip64=True) as stream,
    ):
        stream.write(b"<FICHES>")
        chunk = b" " * 1024**2
        for _ in range(300):
            stream.write(chunk)
        stream.write(b"</FICHES>")
    with pytest.raises(RegisterImportError, match="se décompresse"):
        import_register(db_session, path)
    assert db_session.scalar(sa.select(sa.func.count(RegistryCode.id))) == 0


def test_an_archive_must_hold_one_xml(db_session: Any, tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.xml", "<FICHES/>")
        archive.writestr("b.xml", "<FICHES/>")
    with pytest.raises(RegisterImportError, match="un seul fichier XML"):
        import_register(db_session, path)

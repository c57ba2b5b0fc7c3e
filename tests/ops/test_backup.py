"""Backup and restore: the demo backed up on SQLite restores, row for row and file for file,
into the engine under test (PostgreSQL when TEST_DATABASE_URL names one)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.assessment import evidence
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.db import commit, db
from app.frameworks.models import Competency
from app.ops.backup import snapshot_connection, table_rows, tables
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole
from app.registry.search import Query, search
from tests.conftest import own_database

PDF = b"%PDF-1.4\n% piece justificative de test\n%%EOF\n"
EXPORT_SETTINGS = {
    "ACCROCHAGE_ID_CLIENT": "03BHY312",
    "ACCROCHAGE_ID_CONTRAT": "MCFCER000775",
    "JOBS_INLINE": False,
}


def make_app(url: str, instance: Path) -> Flask:
    return create_app(
        "testing", SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=instance, **EXPORT_SETTINGS
    )


def stored_files(instance: Path) -> dict[str, bytes]:
    """Every stored file under the instance folder's evidence and exports, by relative path."""
    found = {}
    for folder in ("evidence", "exports"):
        for path in sorted((instance / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(instance).as_posix()] = path.read_bytes()
    return found


def dump(app: Flask) -> dict[str, list[list[Any]]]:
    """Every row of every table, engine-neutral, in primary-key order."""
    with app.app_context(), snapshot_connection(db.engine) as conn, conn.begin():
        return {table.name: list(table_rows(conn, table)) for table in tables()}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Path]]:
    """The demo on a migrated SQLite file, with evidence files and two exports."""
    tmp = tmp_path_factory.mktemp("backup-source")
    app = make_app(f"sqlite:///{tmp / 'source.sqlite3'}", tmp / "instance")
    with app.app_context():
        upgrade()
        runner = app.test_cli_runner()
        assert runner.invoke(args=["demo"]).exit_code == 0
        register = Path(__file__).resolve().parents[1] / "data" / "rncp" / "register-a.xml"
        assert runner.invoke(args=["rncp", "import", str(register)]).exit_code == 0
        coordinator = db.session.scalars(
            sa.select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR)
        ).first()
        enrolments = db.session.scalars(
            sa.select(Enrolment).where(Enrolment.status == EnrolmentStatus.CERTIFIED).limit(2)
        ).all()
        for number, enrolment in enumerate(enrolments):
            competency = db.session.scalars(
                sa.select(Competency).where(Competency.version_id == enrolment.cohort.version_id)
            ).first()
            checked = evidence.check_upload(PDF + bytes([number]), f"pièce {number}.pdf", 10**6)
            evidence.attach(enrolment, competency, checked, coordinator)
        commit()
        for kind, options in (("fiche", []), ("accrochage", ["--test-file"])):  # no RNCP number
            out = tmp / f"{kind}.xml"
            args = [kind, "export", "CTA", "--version", "2025-04", *options, "-o", out]
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        db.session.remove()
    yield app, tmp
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def archive(source: tuple[Flask, Path], tmp_path: Path) -> Path:
    app, _ = source
    path = tmp_path / "sauvegarde.zip"
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["backup", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def target(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """An empty migrated database of the engine under test, with its own instance folder."""
    with own_database(tmp_path, "restore") as url:
        app = make_app(url, tmp_path / "target")
        with app.app_context():
            upgrade()
            db.session.remove()
        yield app, tmp_path / "target"
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def restore(app: Flask, *args: str) -> Any:
    with app.app_context():
        return app.test_cli_runner().invoke(args=["restore", *args])


def rewrite(path: Path, out: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the archive with some members replaced (or removed, for None)."""
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    new.writestr(info.filename, change[info.filename])  # type: ignore[arg-type]
            else:
                new.writestr(info.filename, old.read(info))
    return out


def is_empty(app: Flask) -> bool:
    return not any(dump(app).values())


def test_demo_restores_with_every_row_and_file_identical(
    source: tuple[Flask, Path], archive: Path, target: tuple[Flask, Path]
) -> None:
    source_app, tmp = source
    target_app, target_instance = target
    files = stored_files(tmp / "instance")
    assert any(p.startswith("evidence/") for p in files)
    assert sum(p.startswith("exports/") for p in files) == 2

    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest["source_engine"] == "sqlite"
    assert manifest["alembic_revision"] and manifest["app_version"]
    assert len(manifest["files"]) == len(files)
    assert all(len(entry["sha256"]) == 64 for entry in manifest["tables"] + manifest["files"])

    result = restore(target_app, str(archive))
    assert result.exit_code == 0, result.output
    assert "restauré" in result.output

    before, after = dump(source_app), dump(target_app)
    assert sum(len(rows) for rows in before.values()) > 3000
    assert after == before
    assert stored_files(target_instance) == files
    # The register's full-text index was rebuilt over the restored statements.
    with target_app.app_context():
        hits = search(db.session(), Query(words="coopérations")).hits
        assert [hit.number for hit in hits] == ["RNCP34001"]

    # New rows get fresh ids: the sequences moved past the restored ones.
    with target_app.app_context():
        organisation = Organisation(name="Organisme Gamma", kind=OrganisationKind.TRAINING)
        db.session.add(organisation)
        commit()
        assert organisation.id > max(row[0] for row in before["organisations"])


def test_check_reads_an_archive_without_writing(archive: Path, target: tuple[Flask, Path]) -> None:
    target_app, _ = target
    result = restore(target_app, "--check", str(archive))
    assert result.exit_code == 0, result.output
    assert "archive intacte" in result.output
    assert is_empty(target_app)


def test_a_database_that_is_not_empty_is_refused(archive: Path, target: tuple[Flask, Path]) -> None:
    target_app, instance = target
    assert restore(target_app, str(archive)).exit_code == 0
    rows = dump(target_app)
    files = stored_files(instance)
    result = restore(target_app, str(archive))
    assert result.exit_code == 1
    assert "n'est pas vide" in result.output
    assert dump(target_app) == rows and stored_files(instance) == files


def test_another_alembic_revision_is_refused(archive: Path, target: tuple[Flask, Path]) -> None:
    target_app, _ = target
    with target_app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'autrerevision'")
    result = restore(target_app, str(archive))
    assert result.exit_code == 1
    assert "révision Alembic différente" in result.output
    assert is_empty(target_app)


def test_an_unmigrated_database_is_refused(archive: Path, tmp_path: Path) -> None:
    with own_database(tmp_path, "unmigrated") as url:
        app = make_app(url, tmp_path / "instance")
        result = restore(app, str(archive))
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "n'est pas migrée" in result.output


@pytest.mark.parametrize("member", ["tables/users.jsonl", "files"])
def test_an_altered_archive_writes_nothing(
    archive: Path, target: tuple[Flask, Path], tmp_path: Path, member: str
) -> None:
    target_app, instance = target
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        if member == "files":
            member = manifest["files"][-1]["member"]
        content = opened.read(member)
    # Same length, one byte changed: only the checksum can tell.
    altered = content.replace(b"e", b"f", 1) if b"e" in content else content[:-1] + b"X"
    bad = rewrite(archive, tmp_path / "altered.zip", {member: altered})
    result = restore(target_app, str(bad))
    assert result.exit_code == 1
    assert "archive altérée" in result.output
    assert is_empty(target_app) and stored_files(instance) == {}


def test_a_missing_member_or_a_foreign_file_is_refused(
    archive: Path, target: tuple[Flask, Path], tmp_path: Path
) -> None:
    target_app, _ = target
    missing = rewrite(archive, tmp_path / "missing.zip", {"tables/results.jsonl": None})
    result = restore(target_app, str(missing))
    assert result.exit_code == 1 and "absent" in result.output
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as opened:
        opened.writestr("manifest.json", json.dumps({"format": "autre chose"}))
    result = restore(target_app, str(foreign))
    assert result.exit_code == 1 and "pas une sauvegarde" in result.output
    (tmp_path / "notzip.zip").write_bytes(b"bonjour")
    result = restore(target_app, str(tmp_path / "notzip.zip"))
    assert result.exit_code == 1 and "ZIP attendu" in result.output
    assert is_empty(target_app)


def test_a_failure_midway_leaves_nothing(
    archive: Path, target: tuple[Flask, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: rows inserted and files written before the failure are undone."""
    from app.ops import restore as restore_module

    target_app, instance = target
    original = restore_module._write_file
    calls = {"n": 0}

    def fail_on_second(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disque plein")
        original(*args)

    monkeypatch.setattr(restore_module, "_write_file", fail_on_second)
    result = restore(target_app, str(archive))
    assert result.exit_code == 1
    assert "disque plein" in result.output
    assert calls["n"] == 2
    assert is_empty(target_app)
    assert stored_files(instance) == {}


def test_a_different_file_in_the_way_is_refused(archive: Path, target: tuple[Flask, Path]) -> None:
    target_app, instance = target
    with zipfile.ZipFile(archive) as opened:
        entry = json.loads(opened.read("manifest.json"))["files"][0]
    in_the_way = instance / entry["store"] / entry["path"]
    in_the_way.parent.mkdir(parents=True)
    in_the_way.write_bytes(b"autre contenu")
    result = restore(target_app, str(archive))
    assert result.exit_code == 1
    assert "un autre fichier existe déjà" in result.output
    assert is_empty(target_app)
    assert in_the_way.read_bytes() == b"autre contenu"


def test_a_missing_stored_file_is_reported_by_the_backup(
    source: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, tmp = source
    victim = next(p for p in sorted((tmp / "instance" / "evidence").rglob("*")) if p.is_file())
    content = victim.read_bytes()
    victim.unlink()
    try:
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "b.zip")])
    finally:
        victim.write_bytes(content)
    assert result.exit_code == 1
    assert "fichier absent" in result.output
    assert "avertissement" in result.output
    with zipfile.ZipFile(tmp_path / "b.zip") as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert any("fichier absent" in w for w in manifest["warnings"])


def test_the_snapshot_does_not_see_later_writes(tmp_path: Path) -> None:
    """One transaction reads every table: a write committed meanwhile is not in the backup."""
    with own_database(tmp_path, "snapshot") as url:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            db.create_all()
            with snapshot_connection(db.engine) as conn, conn.begin():
                if conn.dialect.name == "postgresql":
                    assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
                    isolation = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
                    assert isolation == "repeatable read"
                table = Organisation.__table__
                first = list(table_rows(conn, table))
                with db.engine.begin() as other:
                    other.execute(sa.insert(table).values(name="Tardive", kind="training"))
                assert list(table_rows(conn, table)) == first == []
            with snapshot_connection(db.engine) as conn, conn.begin():
                assert len(list(table_rows(conn, table))) == 1
            db.session.remove()
            db.engine.dispose()
